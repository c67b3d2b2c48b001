"""Tag ordering for bulk repository imports (library-go ``PrioritizeTags``).

OpenShift imports only the first N tags of a repository, so the order decides
which tags a user gets: ``latest``, then minor versions (``5.1``, ``v5.1``,
``5.1-rc1``) newest first, then full versions (``5.1.3``) newest first, then
everything else alphabetically.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_LATEST, _MINOR, _FULL, _OTHER = range(4)

# Go's regexp \d and \w are ASCII-only; spell them out for Python.
_MINOR_VERSION = re.compile(r"[0-9]+\.[0-9]+")
_MINOR_WITH_SUFFIX = re.compile(r"([0-9]+\.[0-9]+)-[A-Za-z0-9_]+")
_NUMERIC = re.compile(r"[0-9]+")
_PRERELEASE_IDENTIFIER = re.compile(r"[0-9A-Za-z-]+")
_UINT64_LIMIT = 2**64


@dataclass(frozen=True)
class _SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...]


@dataclass(frozen=True)
class _RankedTag:
    tag: str
    priority: int
    version: _SemVer | None
    prefix: str


def prioritize_tags(tags: list[str]) -> list[str]:
    """Return the tags in OpenShift import priority order (duplicates removed).

    An empty tag is reported as ``latest``, as OpenShift does for the Docker
    Hub images that have one.
    """
    unique = dict.fromkeys("latest" if tag == "" else tag for tag in tags)
    ranked = sorted((_rank(tag) for tag in unique), key=functools.cmp_to_key(_compare))
    return [item.tag for item in ranked]


def _rank(tag: str) -> _RankedTag:
    if tag == "latest":
        return _RankedTag(tag, _LATEST, None, "")
    prefix, short = ("v", tag[1:]) if tag.startswith("v") else ("", tag)
    if version := _parse_semver(short):
        return _RankedTag(tag, _FULL, version, prefix)
    if _MINOR_VERSION.fullmatch(short) and (version := _parse_semver(f"{short}.0")):
        return _RankedTag(tag, _MINOR, version, prefix)
    if match := _MINOR_WITH_SUFFIX.fullmatch(short):
        # "5.1-rc1" is read as "5.1.0-rc1", exactly like library-go.
        minor = match.group(1)
        if version := _parse_semver(short.replace(minor, f"{minor}.0", 1)):
            return _RankedTag(tag, _MINOR, version, prefix)
    return _RankedTag(tag, _OTHER, None, prefix)


def _compare(left: _RankedTag, right: _RankedTag) -> int:
    if left.priority != right.priority:
        return -1 if left.priority < right.priority else 1
    if left.version and right.version:
        newer_first = -_compare_semver(left.version, right.version)
        if newer_first:
            return newer_first
        # Same version: the unprefixed spelling ("5.5") before "v5.5".
        if left.prefix != right.prefix:
            return -1 if left.prefix < right.prefix else 1
    # Go's sort is not stable; comparing the names keeps our order deterministic.
    return (left.tag > right.tag) - (left.tag < right.tag)


def _parse_semver(text: str) -> _SemVer | None:
    """Strict SemVer 2.0 parsing with blang/semver's rules (no leading zeros)."""
    parts = text.split(".", 2)
    if len(parts) != 3:
        return None
    patch_text, plus, build = parts[2].partition("+")
    patch_text, dash, prerelease_text = patch_text.partition("-")
    major, minor, patch = (_parse_number(part) for part in (parts[0], parts[1], patch_text))
    if major is None or minor is None or patch is None:
        return None
    prerelease = _parse_prerelease(prerelease_text) if dash else ()
    if prerelease is None or (plus and not _valid_build(build)):
        return None
    return _SemVer(major, minor, patch, prerelease)


def _parse_number(text: str) -> int | None:
    if not _NUMERIC.fullmatch(text) or (len(text) > 1 and text[0] == "0"):
        return None
    value = int(text)
    return value if value < _UINT64_LIMIT else None


def _parse_prerelease(text: str) -> tuple[int | str, ...] | None:
    identifiers: list[int | str] = []
    for part in text.split("."):
        if _NUMERIC.fullmatch(part):
            number = _parse_number(part)
            if number is None:
                return None
            identifiers.append(number)
        elif _PRERELEASE_IDENTIFIER.fullmatch(part):
            identifiers.append(part)
        else:
            return None
    return tuple(identifiers)


def _valid_build(text: str) -> bool:
    return all(_PRERELEASE_IDENTIFIER.fullmatch(part) for part in text.split("."))


def _compare_semver(left: _SemVer, right: _SemVer) -> int:
    left_core = (left.major, left.minor, left.patch)
    right_core = (right.major, right.minor, right.patch)
    if left_core != right_core:
        return -1 if left_core < right_core else 1
    # A release sorts after any of its pre-releases.
    if not left.prerelease or not right.prerelease:
        return (not left.prerelease) - (not right.prerelease)
    for mine, theirs in zip(left.prerelease, right.prerelease, strict=False):
        if mine != theirs:
            return _compare_identifier(mine, theirs)
    return (len(left.prerelease) > len(right.prerelease)) - (
        len(left.prerelease) < len(right.prerelease)
    )


def _compare_identifier(left: int | str, right: int | str) -> int:
    if isinstance(left, int) and isinstance(right, int):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    # Numeric identifiers always sort before alphanumeric ones.
    return -1 if isinstance(left, int) else 1
