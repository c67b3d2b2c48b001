"""Sending deliveries to a real local receiver: retries with backoff, no
retries where they cannot help, disabling, claims. The send task is called
directly, one attempt at a time; "time passing" moves next_attempt_at."""

from __future__ import annotations

import socket
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from tests.triggers.receiver import Answer
from triggers.models import Delivery, DeliveryStatus, Trigger
from triggers.services.deliveries import deliveries_sweep
from triggers.tasks import delivery_send_task

pytestmark = pytest.mark.django_db


def time_passes(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


class Span:
    """The wall-clock span of a block: what the code under test timestamps
    inside it lies within, however long the block took."""

    def __enter__(self) -> Span:
        self.start = timezone.now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.end = timezone.now()

    def contains(self, moment) -> bool:
        return self.start <= moment <= self.end


def attempts(delivery: Delivery) -> list[tuple]:
    return [
        (a.number, a.response_status, a.outcome) for a in delivery.attempt_log.order_by("number")
    ]


def test_failures_are_retried_with_exponential_backoff_and_every_attempt_is_recorded(
    settings, make_trigger, change, receiver, django_capture_on_commit_callbacks
):
    settings.TRIGGER_RETRY_BASE_SECONDS = 10
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(500, 503)

    with (
        mock.patch.object(delivery_send_task, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
        Span() as sent,
    ):
        assert delivery_send_task(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    first = delivery.attempt_log.get()
    # The delay counts from when the attempt was recorded, after the send.
    assert timedelta(seconds=10) <= first.retry_at - first.started
    assert sent.contains(first.retry_at - timedelta(seconds=10))
    assert queued.call_args.kwargs["countdown"] == pytest.approx(10, abs=1)

    assert delivery_send_task(delivery.pk) is None  # not due yet: nothing is sent
    assert len(receiver.requests) == 1

    time_passes(delivery)
    with Span() as sent:
        assert delivery_send_task(delivery.pk) == "retry"
    second = delivery.attempt_log.get(number=2)
    assert sent.contains(second.retry_at - timedelta(seconds=20))

    time_passes(delivery)
    assert delivery_send_task(delivery.pk) == "success"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 3, 200)
    assert attempts(delivery) == [(1, 500, "retry"), (2, 503, "retry"), (3, 200, "success")]
    assert {r.headers["x-imagestreams-delivery"] for r in receiver.requests} == {str(delivery.uuid)}
    assert delivery.trigger.consecutive_failures == 0


def test_retry_after_of_a_429_is_honoured(settings, make_trigger, change, receiver):
    settings.TRIGGER_RETRY_BASE_SECONDS = 1
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(Answer(429, headers={"Retry-After": "120"}))
    with Span() as sent:
        delivery_send_task(delivery.pk)
    attempt = delivery.attempt_log.get()
    assert (attempt.response_status, attempt.outcome) == (429, "retry")
    assert sent.contains(attempt.retry_at - timedelta(seconds=120))


@pytest.mark.parametrize("status", [400, 401, 404])
def test_other_client_errors_are_not_retried(make_trigger, change, receiver, status):
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(status)
    assert delivery_send_task(delivery.pk) == "failure"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("failed", status)
    assert delivery.error == f"the receiver answered {status}"
    time_passes(delivery)
    assert delivery_send_task(delivery.pk) is None
    assert len(receiver.requests) == 1
    trigger = Trigger.objects.get()
    assert (trigger.consecutive_failures, trigger.last_response_status) == (1, status)
    assert trigger.enabled


def test_it_gives_up_after_the_last_attempt(settings, make_trigger, change, receiver):
    settings.TRIGGER_MAX_ATTEMPTS = 2
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(500, 500)
    delivery_send_task(delivery.pk)
    time_passes(delivery)
    assert delivery_send_task(delivery.pk) == "failure"
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.error == "the receiver answered 500; gave up after 2 attempts"
    assert attempts(delivery) == [(1, 500, "retry"), (2, 500, "failure")]


def test_a_trigger_that_keeps_failing_is_disabled_with_the_reason(
    settings, make_trigger, change, receiver
):
    settings.TRIGGER_DISABLE_AFTER_FAILURES = 2
    make_trigger(stream="app", tag="1")
    deliveries = [change(n)[0] for n in (1, 2, 3)]
    receiver.answer(404, 404)
    for delivery in deliveries[:2]:
        delivery_send_task(delivery.pk)
    trigger = Trigger.objects.get()
    assert not trigger.enabled
    assert trigger.disabled_reason.startswith("Disabled after 2 failed deliveries in a row")
    assert "failed with: the receiver answered 404" in trigger.disabled_reason

    assert delivery_send_task(deliveries[2].pk) is None
    deliveries[2].refresh_from_db()
    assert deliveries[2].status == DeliveryStatus.CANCELLED
    assert change(4) == []  # a disabled trigger gets no new deliveries
    assert len(receiver.requests) == 2


def test_410_gone_disables_the_trigger_at_once(make_trigger, change, receiver):
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(410)
    delivery_send_task(delivery.pk)
    trigger = Trigger.objects.get()
    assert not trigger.enabled
    assert trigger.disabled_reason == (
        f"Disabled: the receiver answered 410 Gone to delivery {delivery.uuid}."
    )


def test_deliveries_of_a_paused_trigger_are_cancelled(make_trigger, change, receiver):
    trigger = make_trigger(stream="app", tag="1")
    [delivery] = change()
    Trigger.objects.filter(pk=trigger.pk).update(enabled=False)
    assert delivery_send_task(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert receiver.requests == []


def test_redirects_are_not_followed(make_trigger, change, receiver):
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(Answer(302, headers={"Location": f"{receiver.url}/elsewhere"}))
    assert delivery_send_task(delivery.pk) == "failure"
    delivery.refresh_from_db()
    assert "redirects are not followed" in delivery.error
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_a_slow_receiver_times_out_and_is_retried(settings, make_trigger, change, receiver):
    settings.TRIGGER_TIMEOUT = 0.3
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    receiver.answer(Answer(200, hold=True))  # no answer before the sender gives up
    assert delivery_send_task(delivery.pk) == "retry"
    attempt = delivery.attempt_log.get()
    assert (attempt.response_status, attempt.error) == (None, "timed out after 0.3s")


def test_an_unreachable_receiver_is_retried(make_trigger, change):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    make_trigger(stream="app", tag="1", url=f"http://127.0.0.1:{port}/hook")
    [delivery] = change()
    assert delivery_send_task(delivery.pk) == "retry"
    assert delivery.attempt_log.get().error.startswith("cannot connect:")


def test_internal_addresses_are_refused_unless_allowed(settings, make_trigger, change, receiver):
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    assert delivery_send_task(delivery.pk) == "failure"
    delivery.refresh_from_db()
    assert "resolves to the internal address 127.0.0.1" in delivery.error
    assert receiver.requests == []


def test_running_the_send_task_twice_sends_once(make_trigger, change, receiver):
    make_trigger(stream="app", tag="1")
    [delivery] = change()
    assert delivery_send_task(delivery.pk) == "success"
    assert delivery_send_task(delivery.pk) is None
    assert len(receiver.requests) == 1


def test_the_sweep_requeues_lost_and_interrupted_deliveries(
    settings, make_trigger, change, receiver, django_capture_on_commit_callbacks
):
    settings.TRIGGERS_REQUEUE_AFTER_SECONDS = 60
    make_trigger(stream="app", tag="1")
    [lost] = change(1)
    [interrupted] = change(2)
    [fresh] = change(3)
    long_ago = timezone.now() - timedelta(minutes=5)
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=long_ago)
    Delivery.objects.filter(pk=interrupted.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=long_ago, attempts=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeued = deliveries_sweep()

    assert sorted(requeued) == sorted([lost.pk, interrupted.pk])
    sent = {r.headers["x-imagestreams-delivery"] for r in receiver.wait_for(2)}
    assert sent == {str(lost.uuid), str(interrupted.uuid)}
    for delivery in (lost, interrupted):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SUCCEEDED
    fresh.refresh_from_db()
    assert fresh.status == DeliveryStatus.PENDING  # its own task may still be on its way
