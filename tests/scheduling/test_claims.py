"""Enrolling and claiming scheduled tags (no registry involved)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from imagestreams.models import Tag
from imagestreams.scheduling import sweep as sweep_module
from imagestreams.scheduling.claims import Claim, claim_due, enrol, release_unscheduled
from imagestreams.scheduling.sweep import batch_size_for, sweep
from tests.factories import StreamFactory, TagEventFactory, TagFactory
from tests.scheduling.conftest import INTERVAL

STRATEGIES = [
    pytest.param(False, id="conditional-update"),
    pytest.param(
        True,
        id="skip-locked",
        marks=pytest.mark.skipif(
            not connection.features.has_select_for_update_skip_locked,
            reason="this database has no SELECT ... FOR UPDATE SKIP LOCKED",
        ),
    ),
]


def scheduled_tags(count: int, registry: str = "quay.io", **fields) -> list[Tag]:
    stream = StreamFactory()
    return [
        TagFactory(stream=stream, scheduled=True, from_name=f"{registry}/org/app:{n}", **fields)
        for n in range(count)
    ]


def enrol_all(now, rand=lambda: 0.5):
    return enrol(now=now, interval=INTERVAL, limit=10_000, rand=rand)


@pytest.mark.django_db
def test_enrolment_spreads_first_checks_over_one_interval():
    tags = scheduled_tags(5)
    now = timezone.now()
    spread = iter([0.0, 0.2, 0.4, 0.6, 0.99])
    assert enrol_all(now, rand=lambda: next(spread)) == 5
    offsets = sorted(
        (t.next_check_at - now).total_seconds()
        for t in Tag.objects.filter(pk__in=[t.pk for t in tags])
    )
    assert offsets == pytest.approx([0.0, 12.0, 24.0, 36.0, 59.4])
    tag = Tag.objects.get(pk=tags[0].pk)
    assert (tag.source_registry, tag.source_repository) == ("quay.io", "org/app")
    assert enrol_all(now) == 0, "enrolled tags are left alone"


@pytest.mark.django_db
def test_docker_hub_sources_are_normalised():
    [tag] = scheduled_tags(1, registry="docker.io")
    Tag.objects.filter(pk=tag.pk).update(from_name="python:3.12")
    enrol_all(timezone.now())
    tag.refresh_from_db()
    assert (tag.source_registry, tag.source_repository) == ("docker.io", "library/python")


@pytest.mark.django_db
def test_a_changed_source_is_enrolled_again_and_unscheduled_tags_released():
    changed, unscheduled, _ = scheduled_tags(3)
    now = timezone.now()
    enrol_all(now)
    Tag.objects.filter(pk=changed.pk).update(from_name="ghcr.io/other/app:1", check_failures=3)
    Tag.objects.filter(pk=unscheduled.pk).update(scheduled=False, check_failures=2)
    assert release_unscheduled() == 1
    assert enrol_all(now + timedelta(seconds=5)) == 1
    changed.refresh_from_db()
    unscheduled.refresh_from_db()
    assert (changed.source_registry, changed.check_failures) == ("ghcr.io", 0)
    assert (unscheduled.next_check_at, unscheduled.scheduled_source) == (None, "")
    assert unscheduled.check_failures == 0


@pytest.mark.django_db
def test_references_and_aliases_are_never_scheduled():
    scheduled_tags(1, reference=True)
    scheduled_tags(1, from_kind="ImageStreamTag")
    assert enrol_all(timezone.now()) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("skip_locked", STRATEGIES)
def test_a_claimed_tag_is_not_handed_out_again_within_the_interval(skip_locked):
    tags = scheduled_tags(4)
    now = timezone.now()
    enrol_all(now, rand=lambda: 0.0)
    first = claim_due("quay.io", now=now, limit=3, interval=INTERVAL, skip_locked=skip_locked)
    second = claim_due("quay.io", now=now, limit=3, interval=INTERVAL, skip_locked=skip_locked)
    assert len(first.tag_ids) == 3 and len(second.tag_ids) == 1
    assert set(first.tag_ids) | set(second.tag_ids) == {t.pk for t in tags}
    assert claim_due("quay.io", now=now, limit=10, interval=INTERVAL).tag_ids == []
    almost = now + timedelta(seconds=INTERVAL - 1)
    assert claim_due("quay.io", now=almost, limit=10, interval=INTERVAL).tag_ids == []
    # A batch that never ran (lost message, dead worker) is due again one interval later.
    later = now + timedelta(seconds=INTERVAL)
    again = claim_due("quay.io", now=later, limit=10, interval=INTERVAL, skip_locked=skip_locked)
    assert sorted(again.tag_ids) == sorted(t.pk for t in tags)


@pytest.mark.django_db
def test_a_sweep_hands_out_batches_of_one_registry_within_its_rate(settings):
    settings.SCHEDULED_BATCH_SIZE = 3
    settings.SCHEDULED_SWEEP_SECONDS = 2.0
    settings.REGISTRY_REQUESTS_PER_SECOND = 4.0  # 8 checks per registry per sweep
    quay = scheduled_tags(10, registry="quay.io")
    ghcr = scheduled_tags(2, registry="ghcr.io")
    now = timezone.now()
    sweep(now=now)  # enrols
    claims = sweep(now=now + timedelta(seconds=INTERVAL))
    by_registry = {}
    for claim in claims:
        assert len(claim.tag_ids) <= 3
        registries = set(
            Tag.objects.filter(pk__in=claim.tag_ids).values_list("source_registry", flat=True)
        )
        assert registries == {claim.registry}
        by_registry.setdefault(claim.registry, []).extend(claim.tag_ids)
    assert len(by_registry["quay.io"]) == 8
    assert sorted(by_registry["ghcr.io"]) == sorted(t.pk for t in ghcr)
    # The rest of quay.io comes with the next sweep.
    rest = sweep(now=now + timedelta(seconds=INTERVAL + 2))
    assert sorted(i for c in rest for i in c.tag_ids) == sorted(
        set(t.pk for t in quay) - set(by_registry["quay.io"])
    )


@pytest.mark.django_db
def test_a_sweeps_statements_do_not_grow_with_its_batches(settings):
    """Tags are claimed many at a time and cut into batches: 12 batches cost
    the sweep the same statements as one."""
    settings.REGISTRY_REQUESTS_PER_SECOND = 1000.0
    scheduled_tags(12)
    now = timezone.now()
    sweep(now=now)  # enrols

    def sweep_counted(batch_size: int, at: float) -> tuple[list, int]:
        settings.SCHEDULED_BATCH_SIZE = batch_size
        with CaptureQueriesContext(connection) as queries:
            claims = sweep(now=now + timedelta(seconds=at))
        return claims, len(queries)

    whole, one_batch = sweep_counted(12, INTERVAL)
    cut, twelve_batches = sweep_counted(1, 3 * INTERVAL)
    assert [len(c.tag_ids) for c in whole] == [12]
    assert [len(c.tag_ids) for c in cut] == [1] * 12
    assert sorted(i for c in cut for i in c.tag_ids) == whole[0].tag_ids
    assert twelve_batches == one_batch


def test_a_claim_is_cut_into_the_fewest_batches_of_even_sizes():
    claim = Claim("token", "quay.io", list(range(1010)))
    sizes = [len(batch.tag_ids) for batch in claim.batches(200)]
    assert len(sizes) == 6 and max(sizes) - min(sizes) <= 1 and max(sizes) <= 200
    assert [i for batch in claim.batches(200) for i in batch.tag_ids] == claim.tag_ids
    assert [len(b.tag_ids) for b in Claim("token", "quay.io", list(range(400))).batches(200)] == [
        200,
        200,
    ]
    assert Claim("token", "quay.io", []).batches(200) == []


def test_a_small_sweep_is_spread_over_several_batches_but_not_below_the_minimum():
    assert batch_size_for(10_000, 200) == 200
    assert batch_size_for(1000, 200) == 125  # eight batches, not five
    assert batch_size_for(100, 200) == 50  # never smaller than the minimum for spreading
    assert batch_size_for(30, 200) == 50
    assert batch_size_for(1000, 20) == 20  # never larger than the setting


@pytest.mark.django_db
def test_a_sweep_spreads_a_registrys_claim_over_several_batches(settings, monkeypatch):
    monkeypatch.setattr(sweep_module, "SPREAD_MIN_BATCH", 1)
    settings.SCHEDULED_BATCH_SIZE = 200
    settings.REGISTRY_REQUESTS_PER_SECOND = 1000.0
    tags = scheduled_tags(12)
    now = timezone.now()
    sweep(now=now)  # enrols
    claims = sweep(now=now + timedelta(seconds=INTERVAL))
    assert [len(c.tag_ids) for c in claims] == [2] * 6  # 12 / SPREAD_BATCHES, rounded up
    assert sorted(i for c in claims for i in c.tag_ids) == sorted(t.pk for t in tags)


@pytest.mark.django_db
def test_a_pinned_source_already_imported_is_not_enrolled_for_checks():
    [pinned] = scheduled_tags(1)
    digest = "sha256:" + "b" * 64
    Tag.objects.filter(pk=pinned.pk).update(from_name=f"quay.io/org/app@{digest}")
    TagEventFactory(tag=pinned, generation=pinned.generation)
    enrol_all(timezone.now())
    pinned.refresh_from_db()
    assert pinned.next_check_at is None
    assert pinned.scheduled_source == pinned.from_name


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises all writers anyway")
@pytest.mark.parametrize("skip_locked", STRATEGIES)
def test_concurrent_claimers_never_get_the_same_tag(skip_locked):
    tags = scheduled_tags(120)
    now = timezone.now()
    enrol_all(now, rand=lambda: 0.0)
    won: list[list[int]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer():
        try:
            start.wait()
            mine = []
            while True:
                claim = claim_due(
                    "quay.io", now=now, limit=7, interval=INTERVAL, skip_locked=skip_locked
                )
                if not claim.tag_ids:
                    break
                mine.extend(claim.tag_ids)
            with lock:
                won.append(mine)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [pk for mine in won for pk in mine]
    assert len(claimed) == len(set(claimed)) == len(tags)
