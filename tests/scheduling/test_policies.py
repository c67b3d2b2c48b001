"""Tag policies: which upstream tag a policy follows."""

from __future__ import annotations

import pytest

from imagestreams.scheduling.policies import PolicyError, choose_tag, parse_policy

TAGS = ["1.0.0", "v1.2.0", "1.2.3", "1.3.0-rc.1", "1.9", "2.0.0", "3.1.0", "latest", "nightly"]


@pytest.mark.parametrize(
    ("range_", "expected"),
    [
        (">=1.0.0 <2.0.0", "1.9"),
        (">= 1.0, < 2", "1.9"),  # Masterminds spelling, as in Flux
        ("^1.2", "1.9"),
        ("~1.2", "1.2.3"),
        ("1.2.x", "1.2.3"),
        ("1.0.0 - 1.2.0", "v1.2.0"),
        ("<1.2 || >=3", "3.1.0"),
        ("*", "3.1.0"),
        (">=4", None),
    ],
)
def test_semver_ranges(range_, expected):
    assert choose_tag(parse_policy({"kind": "semver", "range": range_}), TAGS) == expected


def test_semver_prereleases_only_when_the_range_asks_for_them():
    tags = ["1.2.0", "1.3.0-rc.1"]
    assert choose_tag(parse_policy({"kind": "semver", "range": "^1"}), tags) == "1.2.0"
    asked = parse_policy({"kind": "semver", "range": ">=1.3.0-rc.0 <2"})
    assert choose_tag(asked, tags) == "1.3.0-rc.1"


def test_semver_ties_go_to_the_first_spelling():
    assert choose_tag(parse_policy({"kind": "semver", "range": "*"}), ["v2.0", "2.0.0"]) == "2.0.0"


def test_numerical_asc_follows_the_highest_and_desc_the_lowest():
    tags = ["9", "10", "100", "2.5", "abc", "NaN"]
    assert choose_tag(parse_policy({"kind": "numerical"}), tags) == "100"
    assert choose_tag(parse_policy({"kind": "numerical", "order": "desc"}), tags) == "2.5"


def test_alphabetical_orders():
    tags = ["2024-01-05", "2024-11-30", "2023-12-31"]
    assert choose_tag(parse_policy({"kind": "alphabetical"}), tags) == "2024-11-30"
    assert choose_tag(parse_policy({"kind": "alphabetical", "order": "DESC"}), tags) == "2023-12-31"


def test_regex_with_an_extracted_group():
    policy = parse_policy(
        {"kind": "numerical", "pattern": r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$", "extract": "$ts"}
    )
    tags = ["main-abc123-1700000100", "main-def456-1700000099", "dev-fff-1800000000", "main-x-9"]
    assert choose_tag(policy, tags) == "main-abc123-1700000100"


def test_regex_groups_by_number_and_braces():
    tags = ["build-7-linux", "build-12-linux", "build-99-windows"]
    for extract in ("$1", "${1}", "${n}"):
        policy = parse_policy(
            {"kind": "numerical", "pattern": r"^build-(?P<n>\d+)-linux$", "extract": extract}
        )
        assert choose_tag(policy, tags) == "build-12-linux"


def test_semver_on_an_extracted_version():
    policy = parse_policy(
        {"kind": "semver", "range": "^2", "pattern": r"^app-v(?P<v>.+)-alpine$", "extract": "$v"}
    )
    assert choose_tag(policy, ["app-v2.1.0-alpine", "app-v2.3.1-alpine", "app-v3.0.0-alpine"]) == (
        "app-v2.3.1-alpine"
    )


def test_signature_tags_are_never_candidates():
    sig = "sha256-" + "a" * 64 + ".sig"
    assert choose_tag(parse_policy({"kind": "alphabetical"}), ["a", sig]) == "a"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "newest"}, "kind must be one of semver, numerical, alphabetical"),
        ({"kind": "semver"}, "a semver policy needs a range"),
        ({"kind": "semver", "range": ">>1"}, 'invalid semver range ">>1"'),
        ({"kind": "semver", "range": "1", "order": "asc"}, "order applies to numerical"),
        ({"kind": "numerical", "range": "1"}, "range applies to semver policies only"),
        ({"kind": "numerical", "order": "up"}, "order must be asc or desc"),
        ({"kind": "numerical", "extract": "$1"}, "extract needs a pattern"),
        ({"kind": "numerical", "pattern": "(a"}, 'invalid pattern "(a"'),
        ({"kind": "numerical", "pattern": "(a)", "extract": "$2"}, "does not have: 2"),
        ({"kind": "numerical", "pattern": "(a)", "extract": "ts"}, "names no group"),
        ({"kind": "numerical", "pattern": "a" * 300}, "at most 256 characters"),
        ({"kind": "numerical", "colour": "red"}, "unknown tag policy field(s): colour"),
        ("semver", "must be an object"),
    ],
)
def test_invalid_policies_say_why(data, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy(data)
