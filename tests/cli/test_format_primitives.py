"""Go's tabwriter, go-units' HumanDuration/HumanSize and library-go's
PrioritizeTags, as `oc` uses them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from imagestreams.cli.format.humanize import human_duration, human_size
from imagestreams.cli.format.priority import prioritize_tags
from imagestreams.cli.format.tabwriter import describe_layout, table_layout

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = 7 * DAY
MONTH = 30 * DAY
YEAR = 365 * DAY


# go-units duration_test.go, case by case.
@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(milliseconds=450), "Less than a second"),
        (-5 * SECOND, "Less than a second"),
        (1 * SECOND, "1 second"),
        (45 * SECOND, "45 seconds"),
        (59 * SECOND, "59 seconds"),
        (60 * SECOND, "About a minute"),
        (3 * MINUTE, "3 minutes"),
        (35 * MINUTE + 40 * SECOND, "35 minutes"),
        (59 * MINUTE, "59 minutes"),
        (1 * HOUR, "About an hour"),
        (1 * HOUR + 29 * MINUTE, "About an hour"),
        (1 * HOUR + 31 * MINUTE, "2 hours"),
        (3 * HOUR + 29 * MINUTE, "3 hours"),
        (3 * HOUR + 31 * MINUTE, "4 hours"),
        (24 * HOUR, "24 hours"),
        (1 * DAY + 12 * HOUR, "36 hours"),
        (2 * DAY, "2 days"),
        (13 * DAY + 5 * HOUR, "13 days"),
        (2 * WEEK, "2 weeks"),
        (2 * WEEK + 4 * DAY, "2 weeks"),
        (1 * MONTH, "4 weeks"),
        (1 * MONTH + 2 * WEEK, "6 weeks"),
        (2 * MONTH, "2 months"),
        (3 * MONTH + 1 * WEEK, "3 months"),
        (24 * MONTH, "24 months"),
        (24 * MONTH + 2 * WEEK, "2 years"),
        (3 * YEAR + 2 * MONTH, "3 years"),
    ],
)
def test_human_duration_words_like_go_units(delta, text):
    assert human_duration(delta) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (1744, "1.744kB"),
        (3409, "3.409kB"),  # oc describer_test: Layers:.+3.409kB
        (4430, "4.43kB"),  # oc describer_test: Image Size:.+4.43kB in 2 layers
        (39_380_000, "39.38MB"),
        (265_500_000, "265.5MB"),
        (1_000_000_000_000, "1TB"),
    ],
)
def test_human_size_uses_decimal_units_and_four_digits(size, text):
    assert human_size(size) == text


def test_prioritize_tags_puts_latest_then_minor_then_full_versions_then_the_rest():
    tags = ["dev", "1.0.1", "5.1-rc1", "v5.1", "latest", "1.1", "2.0", "1.0.0", "5.1", "alpha"]
    assert prioritize_tags(tags) == [
        "latest",
        "5.1",
        "v5.1",  # equal versions: the unprefixed spelling first
        "5.1-rc1",  # 5.1.0-rc1 sorts before the 5.1.0 release
        "2.0",
        "1.1",
        "1.0.1",
        "1.0.0",
        "alpha",
        "dev",
    ]


def test_prioritize_tags_reads_only_strict_semantic_versions():
    # Leading zeros are not semantic versions, so they sort as plain names.
    assert prioritize_tags(["01.2", "1.2.3-beta.2", "1.2.3-beta.10", "1.2.3"]) == [
        "1.2.3",
        "1.2.3-beta.10",
        "1.2.3-beta.2",
        "01.2",
    ]


def test_describe_tabwriter_aligns_blocks_on_tab_stops():
    text = "Name:\tpython\nImage Repository:\t<none>\n\n3.5\n  tagged\nA:\tb\n"
    assert describe_layout(text) == (
        "Name:\t\t\tpython\nImage Repository:\t<none>\n\n3.5\n  tagged\nA:\tb\n"
    )


def test_describe_tabwriter_pads_empty_leading_cells_and_inner_columns():
    text = "Layers:\t1kB\tsha256:a\n\t110.2MB\tsha256:b\nImage Created:\tnow\n"
    assert describe_layout(text) == (
        "Layers:\t\t1kB\tsha256:a\n\t\t110.2MB\tsha256:b\nImage Created:\tnow\n"
    )
    assert describe_layout(text).expandtabs(8).splitlines() == [
        "Layers:         1kB     sha256:a",
        "                110.2MB sha256:b",
        "Image Created:  now",
    ]


def test_table_layout_pads_with_spaces_like_kubectl():
    table = table_layout([["NAME", "IMAGE REPOSITORY", "TAGS"], ["python", "", "latest,3.5"]])
    assert table == "NAME     IMAGE REPOSITORY   TAGS\npython                      latest,3.5\n"
