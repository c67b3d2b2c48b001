"""Scheduled checks against a real Distribution registry."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imagestreams.access import acting_system
from imagestreams.models import ImageStream, Tag
from imagestreams.models.streams import EventCause
from imagestreams.scheduling import checks
from imagestreams.scheduling.checks import check_batch, default_transport
from imagestreams.scheduling.sweep import sweep
from tests.scheduling.conftest import INTERVAL, history

pytestmark = [pytest.mark.django_db, pytest.mark.registry]


def test_a_repushed_upstream_is_picked_up_within_one_interval(
    registry, pusher, unique_repo, schedule, run_due
):
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    tag = schedule("app:1", first.reference)

    run_due(INTERVAL)  # the first check imports the tag
    assert history(tag) == [first.digest]
    second = client.push_image(unique_repo, "1", text="two")
    run_due(INTERVAL / 2)
    assert history(tag) == [first.digest], "checked twice within one interval"

    [report] = run_due(2 * INTERVAL)
    assert report.changed == 1
    assert history(tag) == [second.digest, first.digest]
    assert tag.events.first().cause == EventCause.SCHEDULED
    tag.refresh_from_db()
    assert (tag.check_claim, tag.check_failures, tag.condition_reason) == ("", 0, "")


def test_an_unchanged_upstream_costs_one_head_and_one_update(
    registry, pusher, unique_repo, schedule, run_due, requests_seen
):
    client = pusher(registry)
    tags = []
    for name in ("1", "2", "3"):
        pushed = client.push_image(unique_repo, name, text=name)
        tags.append(schedule(f"app:{name}", pushed.reference))
    run_due(INTERVAL)
    generation = ImageStream.objects.get(name="app").generation
    entries = [history(tag) for tag in tags]
    requests_seen.clear()

    claims = sweep(now=_later(2 * INTERVAL))
    assert sorted(i for c in claims for i in c.tag_ids) == sorted(t.pk for t in tags)
    with CaptureQueriesContext(connection) as queries:
        for claim in claims:
            report = check_batch(
                claim.token, claim.tag_ids, by=acting_system(), **requests_seen.hooks
            )
    assert report.unchanged == 3

    assert requests_seen.to("HEAD", "/manifests/") == 3
    assert requests_seen.to("GET", "/manifests/") == 0
    assert requests_seen.to("GET", "/blobs/") == 0
    # Operator settings (cached per process) are not a per-tag cost; the
    # batch's metrics are counted in process memory and write nothing.
    operations = ("imagestreams_operatorsettings", "SAVEPOINT")
    queries = [q for q in queries if not any(name in q["sql"] for name in operations)]
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1, writes
    assert writes[0].startswith('UPDATE "imagestreams_tag" SET "last_checked_at"')
    # Reads do not grow with the batch: the tags with their heads, the credentials.
    assert len(queries) == 3
    assert [history(tag) for tag in tags] == entries
    assert ImageStream.objects.get(name="app").generation == generation
    assert all(t.last_checked_at for t in Tag.objects.filter(pk__in=[t.pk for t in tags]))


def test_a_source_by_digest_is_checked_until_imported_once(
    registry, pusher, unique_repo, schedule, run_due, requests_seen
):
    pushed = pusher(registry).push_image(unique_repo, "1")
    tag = schedule("app:pinned", pushed.pinned)
    run_due(INTERVAL)
    assert history(tag) == [pushed.digest]
    tag.refresh_from_db()
    assert tag.next_check_at is None
    requests_seen.clear()

    assert run_due(5 * INTERVAL) == []
    assert sum(requests_seen.counts.values()) == 0


def test_a_pinned_tag_imported_before_enrolment_is_never_checked(
    registry, pusher, unique_repo, schedule, run_due, requests_seen
):
    from imagestreams.services.imports import tag_import

    pushed = pusher(registry).push_image(unique_repo, "1")
    tag = schedule("app:pinned", pushed.pinned, enrolled=False)
    tag_import(tag.pk, by=acting_system())
    assert run_due(5 * INTERVAL) == []
    assert sum(requests_seen.counts.values()) == 0


def test_a_failure_sets_the_condition_backs_off_and_recovers(
    registry, pusher, unique_repo, schedule, run_due
):
    client = pusher(registry)
    pushed = client.push_image(unique_repo, "1", text="one")
    tag = schedule("app:1", pushed.reference)
    run_due(INTERVAL)
    client.delete(unique_repo, pushed.digest)

    [report] = run_due(2 * INTERVAL)
    assert report.failed == 1
    tag.refresh_from_db()
    assert (tag.condition_reason, tag.check_failures) == ("NotFound", 1)
    assert history(tag) == [pushed.digest], "a failure never removes the last good image"
    assert _delay(tag) >= INTERVAL

    run_due((tag.next_check_at - _later(0)).total_seconds() + 1)
    tag.refresh_from_db()
    assert tag.check_failures == 2
    assert _delay(tag) >= 2 * INTERVAL, "the second failure waits twice as long"

    repushed = client.push_image(unique_repo, "1", text="back")
    run_due((tag.next_check_at - _later(0)).total_seconds() + 1)
    tag.refresh_from_db()
    assert (tag.condition_reason, tag.check_failures) == ("", 0)
    assert history(tag) == [repushed.digest, pushed.digest]


class TooManyRequests(httpx.BaseTransport):
    """Fault injection in front of the real registry: manifest requests get 429."""

    def __init__(self, inner: httpx.BaseTransport, headers: dict[str, str]):
        self.inner, self.headers, self.manifest_requests = inner, headers, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "/manifests/" in request.url.path:
            self.manifest_requests += 1
            return httpx.Response(
                429,
                headers=self.headers,
                json={"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
            )
        return self.inner.handle_request(request)


def test_a_registry_blocked_later_is_not_contacted_by_scheduled_checks(
    registry, pusher, unique_repo, schedule, run_due, requests_seen, operator_settings
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="one")
    tag = schedule("app:1", pushed.reference)
    run_due(INTERVAL)
    operator_settings(blocked_registries=registry.host)
    requests_seen.clear()

    [report] = run_due(2 * INTERVAL)
    assert report.failed == 1
    assert sum(requests_seen.counts.values()) == 0
    tag.refresh_from_db()
    assert tag.condition_reason == "Forbidden"
    assert "is blocked by the operator" in tag.condition_message
    assert history(tag) == [pushed.digest], "a failure never removes the last good image"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda: {"Retry-After": "7200"}, id="retry-after"),
        # A timestamp: computed when the test runs, not when the suite is collected.
        pytest.param(
            lambda: {"RateLimit-Reset": str(int(time.time()) + 7200)}, id="docker-hub-reset"
        ),
    ],
)
def test_a_429_pauses_the_registry_and_backs_off_by_retry_after(
    registry, pusher, unique_repo, schedule, run_due, settings, headers
):
    settings.REGISTRY_MAX_CONCURRENCY = 1  # one after the other: the second sees the pause
    headers = headers()
    client = pusher(registry)
    tags = [
        schedule(f"app:{n}", client.push_image(unique_repo, n, text=n).reference)
        for n in ("1", "2")
    ]
    injected = []

    def factory(verify):
        injected.append(TooManyRequests(default_transport(verify), headers))
        return injected[-1]

    [report] = run_due(INTERVAL, transport_factory=factory)
    assert (report.failed, report.deferred) == (1, 1)
    assert sum(t.manifest_requests for t in injected) == 1, "the paused registry got more"
    failed, deferred = sorted(
        Tag.objects.filter(pk__in=[t.pk for t in tags]), key=lambda t: -t.check_failures
    )
    assert failed.condition_reason == "TooManyRequests"
    assert re.search(r"retry after 7[12][0-9]{2} seconds", failed.condition_message)
    assert (deferred.condition_reason, deferred.check_failures) == ("", 0)
    for tag in (failed, deferred):
        assert (tag.next_check_at - _later(0)).total_seconds() > 7000
    # While paused, this worker defers without asking the registry at all.
    assert run_due(3 * INTERVAL, transport_factory=factory) == []


def test_running_a_batch_twice_checks_nothing_twice(
    registry, pusher, unique_repo, schedule, requests_seen
):
    pushed = pusher(registry).push_image(unique_repo, "1")
    tag = schedule("app:1", pushed.reference)
    [claim] = sweep(now=_later(INTERVAL))
    check_batch(claim.token, claim.tag_ids, by=acting_system(), **requests_seen.hooks)
    requests_seen.clear()
    report = check_batch(claim.token, claim.tag_ids, by=acting_system(), **requests_seen.hooks)
    assert report.skipped == 1
    assert sum(requests_seen.counts.values()) == 0
    assert history(tag) == [pushed.digest]


def test_a_tag_deleted_while_its_batch_is_checked_is_skipped(
    registry, pusher, unique_repo, schedule, requests_seen, monkeypatch
):
    """Tags that take the ordinary path are read again in full before they are
    fetched; one deleted in between is neither fetched nor recorded."""
    client = pusher(registry)
    kept = schedule("app:1", client.push_image(unique_repo, "1", text="one").reference)
    gone = schedule("app:2", client.push_image(unique_repo, "2", text="two").reference)
    quick = checks._quick_unchanged

    def deleting_meanwhile(*args, **kwargs):
        Tag.objects.filter(pk=gone.pk).delete()
        return quick(*args, **kwargs)

    monkeypatch.setattr(checks, "_quick_unchanged", deleting_meanwhile)
    [claim] = sweep(now=_later(INTERVAL))
    report = check_batch(claim.token, claim.tag_ids, by=acting_system(), **requests_seen.hooks)

    assert (report.changed, report.skipped, report.failed) == (1, 1, 0)
    asked = " ".join(requests_seen.counts)
    assert f"{unique_repo}/manifests/1" in asked
    assert f"{unique_repo}/manifests/2" not in asked
    assert len(history(kept)) == 1
    assert not Tag.objects.filter(pk=gone.pk).exists()


def _later(seconds: float):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(seconds=seconds)


def _delay(tag: Tag) -> float:
    """Seconds from the failed check to the next one."""
    return (tag.next_check_at - tag.last_checked_at).total_seconds()
