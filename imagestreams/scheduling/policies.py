"""Tag policies: follow "the highest upstream tag matching a rule", as Flux's
ImagePolicy does (semver range, numerical, alphabetical; optionally only tags
matching a regular expression, compared by an extracted part).

Pure functions, no Django: ``parse_policy`` validates what a user sent,
``choose_tag`` picks the tag from a repository's tag list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import semantic_version

SEMVER, NUMERICAL, ALPHABETICAL = "semver", "numerical", "alphabetical"
KINDS = (SEMVER, NUMERICAL, ALPHABETICAL)
ORDERS = ("asc", "desc")
# Signature, attestation and SBOM tags (cosign's sha256-<hex>.sig and friends)
# are never images anyone wants to follow.
DEFAULT_EXCLUDE = r"^sha256-[0-9a-f]{64}\.(sig|att|sbom)$|\.sig$"

# Patterns are user input run by workers; keep them short (tags are at most 128).
MAX_PATTERN_LENGTH = 256
# Masterminds/semver (what Flux uses) reads "v1.2", "1.2" and "1" as versions.
_VERSION = re.compile(
    r"^v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
# Go's template syntax for extract: $name, ${name}, $1.
_GO_GROUP = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class PolicyError(ValueError):
    """The policy is invalid; the message says why, for the user."""


@dataclass(frozen=True)
class TagPolicy:
    kind: str
    range: str = ""  # semver only, npm syntax: ">=1.2 <2", "^1.2", "1.x", "1.2 - 1.4", "||"
    order: str = "asc"  # numerical/alphabetical: asc follows the highest, desc the lowest
    pattern: str = ""  # only tags matching this regular expression are candidates
    extract: str = ""  # compare this part of the match instead of the whole tag ("$ts")

    def to_dict(self) -> dict[str, str]:
        data = {"kind": self.kind}
        if self.kind == SEMVER:
            data["range"] = self.range
        else:
            data["order"] = self.order
        if self.pattern:
            data["pattern"] = self.pattern
        if self.extract:
            data["extract"] = self.extract
        return data

    def describe(self) -> str:
        rule = f"semver {self.range}" if self.kind == SEMVER else f"{self.kind} {self.order}"
        if self.pattern:
            rule += f", tags matching /{self.pattern}/"
        if self.extract:
            rule += f" compared by {self.extract}"
        return rule


def parse_policy(data: dict) -> TagPolicy:
    """Validate a policy given as a dict (API/CLI input or the stored JSON)."""
    if not isinstance(data, dict):
        raise PolicyError("a tag policy must be an object with a kind")
    unknown = set(data) - {"kind", "range", "order", "pattern", "extract"}
    if unknown:
        raise PolicyError(f"unknown tag policy field(s): {', '.join(sorted(unknown))}")
    kind = str(data.get("kind") or "").lower()
    if kind not in KINDS:
        raise PolicyError(f'tag policy kind must be one of {", ".join(KINDS)}, got "{kind}"')
    if kind == SEMVER and data.get("order"):
        raise PolicyError("order applies to numerical and alphabetical policies only")
    policy = TagPolicy(
        kind=kind,
        range=str(data.get("range") or "").strip(),
        order=str(data.get("order") or "asc").lower(),
        pattern=str(data.get("pattern") or ""),
        extract=str(data.get("extract") or ""),
    )
    _validate(policy)
    return policy


def _validate(policy: TagPolicy) -> None:
    if policy.kind == SEMVER:
        if not policy.range:
            raise PolicyError('a semver policy needs a range, e.g. ">=1.0.0 <2.0.0" or "^1.2"')
        semver_range(policy.range)
    elif policy.range:
        raise PolicyError("range applies to semver policies only")
    if policy.order not in ORDERS:
        raise PolicyError(f'order must be asc or desc, got "{policy.order}"')
    if policy.extract and not policy.pattern:
        raise PolicyError("extract needs a pattern with the group(s) it names")
    if policy.pattern:
        compiled = _compile(policy.pattern)
        if policy.extract:
            _check_extract(compiled, policy.extract)


def semver_range(text: str) -> semantic_version.NpmSpec:
    """An npm-style range; Masterminds' commas (AND) and ">= 1.2" spacing accepted."""
    normalised = re.sub(r"([<>=~^]+)\s+", r"\1", text.replace(",", " "))
    normalised = " ".join(normalised.split())
    try:
        return semantic_version.NpmSpec(normalised)
    except ValueError as exc:
        raise PolicyError(f'invalid semver range "{text}": {exc}') from None


def parse_version(text: str) -> semantic_version.Version | None:
    match = _VERSION.match(text)
    if not match:
        return None
    major, minor, patch, prerelease, build = match.groups()
    return semantic_version.Version(
        major=int(major),
        minor=int(minor or 0),
        patch=int(patch or 0),
        prerelease=tuple(prerelease.split(".")) if prerelease else (),
        build=tuple(build.split(".")) if build else (),
    )


def _compile(pattern: str) -> re.Pattern[str]:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PolicyError(f"a pattern may have at most {MAX_PATTERN_LENGTH} characters")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise PolicyError(f'invalid pattern "{pattern}": {exc}') from None


def _python_template(extract: str) -> str:
    """Go's ``$name``/``${name}``/``$1`` as Python's ``\\g<name>``."""
    return _GO_GROUP.sub(lambda m: rf"\g<{m.group(1) or m.group(2)}>", extract)


def _check_extract(compiled: re.Pattern[str], extract: str) -> None:
    names = [m.group(1) or m.group(2) for m in _GO_GROUP.finditer(extract)]
    if not names:
        raise PolicyError(f'extract "{extract}" names no group; write e.g. "$version" or "$1"')
    for name in names:
        known = name.isdigit() and int(name) <= compiled.groups
        if not known and name not in compiled.groupindex:
            raise PolicyError(
                f'extract "{extract}" names a group the pattern does not have: {name}'
            )


def candidates(policy: TagPolicy, tags: list[str]) -> list[tuple[str, str]]:
    """(tag, value compared) for every tag the policy may choose."""
    excluded = re.compile(DEFAULT_EXCLUDE)
    compiled = _compile(policy.pattern) if policy.pattern else None
    template = _python_template(policy.extract) if policy.extract else ""
    found = []
    for tag in tags:
        if excluded.search(tag):
            continue
        if compiled is None:
            found.append((tag, tag))
            continue
        match = compiled.search(tag)
        if match:
            found.append((tag, match.expand(template) if template else tag))
    return found


def choose_tag(policy: TagPolicy, tags: list[str]) -> str | None:
    """The tag the policy follows among ``tags``, or None if none qualifies.

    Ties (two tags with the same value) go to the alphabetically first tag, so
    the choice never depends on the registry's listing order.
    """
    keyed = []
    spec = semver_range(policy.range) if policy.kind == SEMVER else None
    for tag, value in candidates(policy, tags):
        key = _sort_key(policy, value, spec)
        if key is not None:
            keyed.append((key, tag))
    if not keyed:
        return None
    highest = policy.kind == SEMVER or policy.order == "asc"
    best_key = max(k for k, _ in keyed) if highest else min(k for k, _ in keyed)
    return min(tag for key, tag in keyed if key == best_key)


def _sort_key(policy: TagPolicy, value: str, spec: semantic_version.NpmSpec | None):
    if policy.kind == SEMVER:
        assert spec is not None  # made for every semver policy
        version = parse_version(value)
        return version if version is not None and spec.match(version) else None
    if policy.kind == NUMERICAL:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return value
