"""The order in which `oc` lists tags (library-go's PrioritizeTags).

1. `latest`;
2. minor versions ("5.1", "v5.1", "5.1-rc1"), newest first;
3. full semantic versions ("5.1.3", "v5.1.3-beta"), newest first;
4. everything else, alphabetically.

Versions are compared with Semantic Versioning 2.0 rules (a pre-release sorts
before its release); for equal versions the unprefixed spelling comes first.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

_MINOR = re.compile(r"[0-9]+\.[0-9]+")
_MINOR_WITH_SUFFIX = re.compile(r"([0-9]+\.[0-9]+)-[0-9A-Za-z_]+")
_NUMBER = re.compile(r"0|[1-9][0-9]*")
_IDENTIFIER = re.compile(r"[0-9A-Za-z-]+")

LATEST, MINOR, FULL, OTHER = range(4)


class Version(NamedTuple):
    core: tuple[int, int, int]
    prerelease: tuple[int | str, ...]


class _Ranked(NamedTuple):
    priority: int
    version: Version | None
    prefix: str
    tag: str


def prioritize_tags(tags: list[str]) -> list[str]:
    ranked = sorted((_rank(tag) for tag in tags), key=functools.cmp_to_key(_compare))
    return [item.tag for item in ranked]


def _rank(tag: str) -> _Ranked:
    if tag == "latest":
        return _Ranked(LATEST, None, "", tag)
    prefix, short = ("v", tag[1:]) if tag.startswith("v") else ("", tag)
    if version := parse_semver(short):
        return _Ranked(FULL, version, prefix, tag)
    if _MINOR.fullmatch(short) and (version := parse_semver(short + ".0")):
        return _Ranked(MINOR, version, prefix, tag)
    if match := _MINOR_WITH_SUFFIX.fullmatch(short):
        # "5.1-rc1" is read as "5.1.0-rc1".
        minor = match.group(1)
        if version := parse_semver(short.replace(minor, minor + ".0", 1)):
            return _Ranked(MINOR, version, prefix, tag)
    return _Ranked(OTHER, None, prefix, tag)


def _compare(left: _Ranked, right: _Ranked) -> int:
    if left.priority != right.priority:
        return left.priority - right.priority
    if left.version and right.version:
        newer_first = compare_versions(right.version, left.version)
        if newer_first:
            return newer_first
        if left.prefix != right.prefix:
            return -1 if left.prefix < right.prefix else 1
    # Go's sort is not stable; ordering ties by name keeps ours deterministic.
    return (left.tag > right.tag) - (left.tag < right.tag)


def parse_semver(text: str) -> Version | None:
    """Strict SemVer 2.0: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], no leading zeros."""
    text, plus, build = text.partition("+")
    if plus and not all(_IDENTIFIER.fullmatch(part) for part in build.split(".")):
        return None
    core_text, dash, prerelease_text = text.partition("-")
    parts = core_text.split(".")
    if len(parts) != 3 or not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    prerelease: list[int | str] = []
    if dash:
        for part in prerelease_text.split("."):
            if not _IDENTIFIER.fullmatch(part):
                return None
            if part.isdigit():
                if not _NUMBER.fullmatch(part):
                    return None  # numeric identifiers have no leading zeros
                prerelease.append(int(part))
            else:
                prerelease.append(part)
    major, minor, patch = (int(part) for part in parts)
    return Version((major, minor, patch), tuple(prerelease))


def compare_versions(left: Version, right: Version) -> int:
    if left.core != right.core:
        return -1 if left.core < right.core else 1
    if not left.prerelease or not right.prerelease:
        # A release is newer than any of its pre-releases.
        return (not left.prerelease) - (not right.prerelease)
    for mine, theirs in zip(left.prerelease, right.prerelease, strict=False):
        if mine == theirs:
            continue
        if isinstance(mine, int) and isinstance(theirs, int):
            return -1 if mine < theirs else 1
        if isinstance(mine, int) or isinstance(theirs, int):
            return -1 if isinstance(mine, int) else 1  # numbers before words
        return -1 if mine < theirs else 1
    return (len(left.prerelease) > len(right.prerelease)) - (
        len(left.prerelease) < len(right.prerelease)
    )
