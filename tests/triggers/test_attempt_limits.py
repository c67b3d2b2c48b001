"""The attempt limit holds whatever the failure: an unexpected exception
while sending a delivery or reading a pushed manifest is recorded as a failed
attempt and counts, and work whose worker never comes back is given up once
its attempts are spent, instead of being re-queued for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.models import RegistryEvent
from imagestreams.services import pushes
from imagestreams.services.registry_events import (
    MAX_EVENT_ATTEMPTS,
    registry_event_process,
    registry_events_sweep,
)
from tests.triggers.events import event
from tests.triggers.events import notify as post_events
from triggers import transport
from triggers.models import Delivery, DeliveryStatus
from triggers.services.deliveries import deliveries_sweep
from triggers.tasks import delivery_send_task

pytestmark = pytest.mark.django_db


def broken(*args, **kwargs):
    raise RuntimeError("something nobody expected")


def test_an_unexpected_error_while_sending_counts_as_an_attempt(
    settings, make_trigger, change, monkeypatch
):
    settings.TRIGGER_MAX_ATTEMPTS = 3

    monkeypatch.setattr(transport, "send", broken)
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    outcomes = []
    for _ in range(5):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        outcomes.append(delivery_send_task(delivery.pk))
    assert outcomes == ["retry", "retry", "failure", None, None]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert "unexpected error while sending: RuntimeError" in delivery.error
    assert delivery.attempt_log.count() == 3


def test_the_sweep_gives_up_on_sends_that_never_come_back(settings, make_trigger, change):
    """A worker that dies while sending (every time) leaves the delivery
    "sending"; the sweep re-queues it, but only up to the attempt limit."""
    settings.TRIGGER_MAX_ATTEMPTS = 3
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=long_ago, attempts=2
    )
    assert deliveries_sweep() == [delivery.pk]  # one attempt left
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=long_ago, attempts=3
    )
    assert deliveries_sweep() == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "gave up after 3 attempts" in delivery.error


@pytest.fixture
def integrated(settings, team):
    settings.INTEGRATED_REGISTRY_URL = "http://registry.invalid:5000"
    settings.REGISTRY_NOTIFICATION_SECRET = "notify-secret"


def test_an_unexpected_error_reading_a_push_counts_as_an_attempt(
    client, integrated, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pushes, "push_fetch", broken)
    with django_capture_on_commit_callbacks():
        assert post_events(client, event(repository="team/app")).status_code == 200
    pushed = RegistryEvent.objects.get()
    for attempt in range(1, MAX_EVENT_ATTEMPTS + 1):
        registry_event_process(pushed.pk)
        pushed.refresh_from_db()
        assert pushed.attempts == attempt
        assert "unexpected error: RuntimeError" in pushed.message
    assert pushed.status == "failed"
    assert registry_event_process(pushed.pk) is None  # nothing left to try


def test_the_sweep_gives_up_on_pushes_whose_processing_never_comes_back(integrated):
    long_ago = timezone.now() - timedelta(hours=1)
    fields = {"repository": "team/app", "digest": "sha256:" + "0" * 64, "timestamp": long_ago}
    stuck = {"status": "processing", "claimed_at": long_ago, "received": long_ago}
    retried = RegistryEvent.objects.create(event_id="a", tag="1", attempts=1, **fields, **stuck)
    spent = RegistryEvent.objects.create(
        event_id="b", tag="2", attempts=MAX_EVENT_ATTEMPTS, **fields, **stuck
    )
    assert registry_events_sweep() == [retried.pk]
    spent.refresh_from_db()
    assert (spent.status, spent.processed_at is not None) == ("failed", True)
    assert "gave up" in spent.message
