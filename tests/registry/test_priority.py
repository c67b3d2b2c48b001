from __future__ import annotations

import pytest

from imagestreams.registry import prioritize_tags


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # The vectors of library-go's own TestPrioritizeTags.
        (
            ["other", "latest", "v5.5", "5.2.3", "5.5", "v5.3.6-bother", "5.3.6-abba", "5.6"],
            ["latest", "5.6", "5.5", "v5.5", "v5.3.6-bother", "5.3.6-abba", "5.2.3", "other"],
        ),
        (
            [
                "1.1-beta1",
                "1.2-rc1",
                "1.1-rc1",
                "1.1-beta2",
                "1.2-beta1",
                "1.2-alpha1",
                "1.2-beta4",
                "latest",
            ],
            [
                "latest",
                "1.2-rc1",
                "1.2-beta4",
                "1.2-beta1",
                "1.2-alpha1",
                "1.1-rc1",
                "1.1-beta2",
                "1.1-beta1",
            ],
        ),
        (["7.1", "v7.1", "7.1.0"], ["7.1", "v7.1", "7.1.0"]),
        (["7.1.0", "v7.1", "7.1"], ["7.1", "v7.1", "7.1.0"]),
    ],
)
def test_it_orders_like_openshift(tags, expected):
    assert prioritize_tags(tags) == expected


def test_minor_versions_come_before_full_versions_even_when_older():
    assert prioritize_tags(["9.9.9", "1.0"]) == ["1.0", "9.9.9"]


def test_versions_compare_numerically_not_lexically():
    assert prioritize_tags(["3.9", "3.10", "3.11"]) == ["3.11", "3.10", "3.9"]


def test_prereleases_sort_below_their_release_with_semver_rules():
    tags = ["1.0.0-alpha", "1.0.0", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0-2", "1.0.0-alpha.1"]

    assert prioritize_tags(tags) == [
        "1.0.0",
        "1.0.0-rc.2",
        "1.0.0-rc.1",
        "1.0.0-alpha.1",
        "1.0.0-alpha",
        "1.0.0-2",
    ]


def test_everything_else_is_lexicographic_after_versions():
    tags = ["stable", "alpine", "1.2.3", "nightly", "Zeta"]

    assert prioritize_tags(tags) == ["1.2.3", "Zeta", "alpine", "nightly", "stable"]


@pytest.mark.parametrize("tag", ["01.2", "1.02.3", "v", "1.2.3.4", "5", "v6", "1.2-rc_1", "V1.2"])
def test_non_semver_shapes_are_plain_tags(tag):
    # Leading zeros, four parts, bare majors, underscores and a capital V are
    # not versions for library-go, so they sort with the "other" tags.
    assert prioritize_tags([tag, "1.0", "zzz"]) == ["1.0", *sorted([tag, "zzz"])]


def test_empty_tag_counts_as_latest_and_duplicates_collapse():
    assert prioritize_tags(["", "1.0", "latest", "1.0", "a"]) == ["latest", "1.0", "a"]


def test_it_does_not_modify_its_argument():
    tags = ["b", "a", "latest"]

    prioritize_tags(tags)

    assert tags == ["b", "a", "latest"]
