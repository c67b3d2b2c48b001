"""A registry that misbehaves: the tag keeps its last good image, gets a
condition saying what went wrong, backs off, and recovers by itself at its
next check once the registry is fine; history and trigger deliveries are
neither lost nor duplicated.

Each fault is served by a FaultProxy in front of a real registry; the
scheduled path is the real sweep and batch check, the manual path the
import service every interface calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.scheduling import limits
from imagestreams.services.imports import tag_import
from tests.registry_lab.net import REQUEST_TIMEOUT
from tests.reliability.conftest import (
    INTERVAL,
    deliveries,
    history,
    run_due_at,
    run_next_check,
)
from tests.reliability.faults import FAULTS

pytestmark = [pytest.mark.django_db, pytest.mark.registry]
# A pause is kept on the monotonic clock, check times on the wall clock.
CLOCKS = 1.0


@dataclass(frozen=True)
class Expected:
    reason: str
    message: str  # a fragment of the condition's message
    retry_after: float | None = None


EXPECTED = {
    "5xx": Expected("ServiceUnavailable", "the registry answered HTTP 503"),
    "429": Expected("TooManyRequests", "retry after 7200 seconds", retry_after=7200),
    "stall": Expected("ServiceUnavailable", "timed out talking to the registry"),
    "wrong-digest": Expected("InternalError", "not to the announced"),
    "malformed": Expected("InternalError", "is not valid JSON"),
    "oversized": Expected("InternalError", "larger than the 4194304 byte limit"),
    "redirect-loop": Expected("InternalError", "redirected too many times (a redirect loop?)"),
    "media-type": Expected("InternalError", "unsupported media type"),
}


def seconds_to_next_check(tag, since) -> float:
    """From `since` (taken before the check that set it) to the next check:
    the wait, plus however long that check took."""
    tag.refresh_from_db()
    return (tag.next_check_at - since).total_seconds()


def first_import(tag) -> None:
    run_due_at(timezone.now() + timedelta(seconds=INTERVAL))


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_registry_keeps_the_last_good_image_backs_off_and_recovers(
    short_schedule, fault_proxy, registry, pusher, unique_repo, schedule, fault, monkeypatch
):
    expected = EXPECTED[fault]
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    tag = schedule("app:1", f"{fault_proxy.host}/{unique_repo}:1")
    first_import(tag)
    assert history(tag) == [first.digest]
    second = client.push_image(unique_repo, "1", text="two")  # upstream moves on

    fault_proxy.set(fault)
    if fault == "stall":
        # It never answers: any timeout is reached, so a short one keeps the test short.
        short_schedule.REGISTRY_TIMEOUT = 1
    since = timezone.now()
    [report] = run_next_check(tag)
    assert report.failed == 1
    tag.refresh_from_db()
    assert history(tag) == [first.digest], "the last good image was lost"
    assert tag.condition_reason == expected.reason
    assert expected.message in tag.condition_message
    assert tag.check_failures == 1
    assert seconds_to_next_check(tag, since) >= (expected.retry_after or INTERVAL) - CLOCKS
    # The manual import (API, CLI, UI) reports the same and changes nothing.
    status = tag_import(tag.pk, by=acting_system())
    assert (status.status, status.reason) == ("Failure", expected.reason)
    assert history(tag) == [first.digest]

    paused_since = since  # the first 429 paused the registry
    since = timezone.now()
    [report] = run_next_check(tag)  # still broken: the wait grows
    tag.refresh_from_db()
    if expected.retry_after is None:
        assert report.failed == 1
        assert tag.check_failures == 2
        assert seconds_to_next_check(tag, since) >= 2 * INTERVAL - CLOCKS
    else:
        # The registry asked for a pause: nothing is sent to it until then.
        assert report.deferred == 1
        assert seconds_to_next_check(tag, paused_since) >= expected.retry_after - CLOCKS

    fault_proxy.set(None)
    short_schedule.REGISTRY_TIMEOUT = REQUEST_TIMEOUT
    # Time passes: the pause a 429 put on the registry (per process) is over.
    monkeypatch.setattr(limits, "_process_limits", limits.RegistryLimits(rate=1.0, concurrency=1))
    [report] = run_next_check(tag)
    assert report.changed == 1
    tag.refresh_from_db()
    assert history(tag) == [second.digest, first.digest]
    assert (tag.condition_reason, tag.condition_message, tag.check_failures) == ("", "", 0)
    assert deliveries(tag) == [second.digest, first.digest], "one delivery per change"


def test_a_registry_that_is_down_refuses_connections_until_it_comes_back(
    short_schedule, registry_factory, pusher, unique_repo, schedule
):
    upstream = registry_factory()
    client = pusher(upstream)
    first = client.push_image(unique_repo, "1", text="one")
    tag = schedule("app:1", f"{upstream.host}/{unique_repo}:1")
    first_import(tag)
    assert history(tag) == [first.digest]
    second = client.push_image(unique_repo, "1", text="two")

    upstream.stop()
    since = timezone.now()
    [report] = run_next_check(tag)
    assert report.failed == 1
    tag.refresh_from_db()
    assert (tag.condition_reason, history(tag)) == ("ServiceUnavailable", [first.digest])
    assert "cannot reach the registry" in tag.condition_message
    assert seconds_to_next_check(tag, since) >= INTERVAL - CLOCKS

    upstream.start()  # same port, same storage
    [report] = run_next_check(tag)
    assert report.changed == 1
    tag.refresh_from_db()
    assert history(tag) == [second.digest, first.digest]
    assert (tag.condition_reason, tag.check_failures) == ("", 0)
    assert deliveries(tag) == [second.digest, first.digest]
