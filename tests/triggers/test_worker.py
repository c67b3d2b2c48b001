"""Real Celery workers and beat over Redis: a change whose fan-out task was
lost is found by beat's sweeps (fan-out, then send), retried with backoff
after a receiver failure, and delivered exactly once although two workers and
the sweeps keep running."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.processes import require_postgres_and_redis, running, wait_for_more_runs
from triggers.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)
RETRY_BASE = 1.0


@pytest.fixture
def workers(tmp_path):
    """Two worker processes (one also runs beat) on a queue of their own."""
    require_postgres_and_redis("worker processes must share the test database")
    with running(
        tmp_path,
        IMAGESTREAMS_TRIGGERS_SWEEP_SECONDS="0.5",
        IMAGESTREAMS_TRIGGERS_REQUEUE_AFTER="0.5",
        IMAGESTREAMS_REGISTRY_EVENTS_SWEEP_SECONDS="0.5",
        IMAGESTREAMS_REGISTRY_EVENTS_REQUEUE_AFTER="0.5",
        IMAGESTREAMS_TRIGGER_RETRY_BASE_SECONDS=str(RETRY_BASE),
    ) as processes:
        processes.worker("w0", "-B")
        processes.worker("w1")
        yield processes


def test_a_lost_send_is_swept_retried_with_backoff_and_delivered_once(
    team, make_trigger, receiver, workers
):
    make_trigger(stream="app", tag="1")
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())
    receiver.answer(500)
    # This process's broker is in memory: the send task is lost, as if the
    # web process died right after committing.
    tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())

    workers.wait_for(lambda: Delivery.objects.filter(status="succeeded").exists(), "the delivery")

    delivery = Delivery.objects.get()
    first, second = delivery.attempt_log.order_by("number")
    assert (first.response_status, first.outcome) == (500, "retry")
    assert (second.response_status, second.outcome) == (200, "success")
    assert second.started >= first.retry_at  # the backoff was waited for
    # Several sweeps later, on two workers: still one successful send.
    wait_for_more_runs(workers.log_files(), ["triggers.tasks.triggers_sweep_task"])
    assert len(receiver.requests) == 2
    assert delivery.attempt_log.count() == 2
