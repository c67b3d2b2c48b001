"""Sending deliveries: claim, sign, send, record, retry or give up.

Delivery is at-least-once (a worker that dies after sending but before
recording sends again); receivers deduplicate by the delivery id header.
There is exactly one delivery row per change and trigger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.enqueue import enqueue_on_commit
from imagestreams.operations import telemetry
from imagestreams.services.errors import Conflict
from triggers import transport
from triggers.models import (
    FINISHED_STATUSES,
    WAITING_STATUSES,
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryKind,
    DeliveryStatus,
    Preset,
    Trigger,
)
from triggers.payloads import ChangeFacts, OutgoingRequest, build_request, change_payload
from triggers.selectors import sample_facts
from triggers.services.gitwrite import git_send, superseded

SWEEP_BATCH = 500
logger = logging.getLogger(__name__)


@dataclass
class SampleSendOutcome:
    """How the one request of `trigger_send_test` went."""

    delivery: Delivery
    attempt: DeliveryAttempt

    @property
    def succeeded(self) -> bool:
        return self.attempt.outcome == AttemptOutcome.SUCCESS


def delivery_send(delivery_id: int) -> DeliveryAttempt | None:
    """Send one delivery if it is due; None if there was nothing to do.

    1. Claim it with a conditional UPDATE, so that of two workers running
       this for the same delivery only one sends.
    2. Build, sign and send the request outside any transaction.
    3. Record the attempt and decide: done, retry later, or failed.
    """
    now = timezone.now()
    # No condition on other tables here: Django turns those into a subquery,
    # which PostgreSQL does not re-check after waiting for a concurrent claim.
    claimed = Delivery.objects.filter(
        pk=delivery_id, status__in=WAITING_STATUSES, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("trigger__project", "change").get(pk=delivery_id)
    if not delivery.trigger.enabled:
        _cancel(delivery)
        return None
    if delivery.trigger.preset == Preset.GIT and (reason := superseded(delivery)):
        result = transport.SendResult(AttemptOutcome.SUCCESS, 0, body=f"not written: {reason}")
        return _record(delivery, None, result, started=now)
    request, result = _send(delivery, _change_facts(delivery), test=False)
    return _record(delivery, request, result, started=now)


def delivery_resend(*, by: Principal, delivery: Delivery) -> Delivery:
    """Send a finished delivery again, with the same delivery id, as a new round of attempts."""
    if delivery.kind != DeliveryKind.CHANGE:
        raise Conflict("test deliveries cannot be re-sent; send a new test instead")
    if not Trigger.objects.filter(pk=delivery.trigger_id, enabled=True).exists():
        raise Conflict(
            f'trigger "{delivery.trigger.name}" is not enabled; enable it before re-sending',
            field="trigger",
        )
    with transaction.atomic():
        reset = Delivery.objects.filter(pk=delivery.pk, status__in=FINISHED_STATUSES).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_at=None,
            finished=None,
            error="",
        )
        if not reset:
            raise Conflict(f"delivery {delivery.uuid} is still being sent; wait until it finishes")
        trigger = delivery.trigger
        audit.record(
            "delivery.resend",
            by=by,
            project=trigger.project,
            target=f"{trigger.name}/{delivery.uuid}",
        )
        _enqueue(delivery.pk)
    return Delivery.objects.get(pk=delivery.pk)


def trigger_send_test(*, by: Principal, trigger: Trigger) -> SampleSendOutcome:
    """Send one test request now, without retries, and return how it went.

    The payload describes the watched tag's current image when there is one;
    `test` is true and the event header says `test`. It does not count
    towards disabling the trigger.
    """
    now = timezone.now()
    with transaction.atomic():
        audit.record("trigger.test", by=by, project=trigger.project, target=trigger.name)
        delivery = Delivery.objects.create(
            trigger=trigger,
            kind=DeliveryKind.TEST,
            status=DeliveryStatus.SENDING,
            attempts=1,
            claimed_at=now,
        )
    delivery.trigger = trigger
    request, result = _send(delivery, sample_facts(trigger), test=True)
    attempt = _record(delivery, request, result, started=now)
    delivery.refresh_from_db()
    return SampleSendOutcome(delivery=delivery, attempt=attempt)


def deliveries_sweep(now: datetime | None = None) -> list[int]:
    """Re-queue deliveries nobody is working on: sends interrupted by a dead
    worker, and due deliveries whose task was lost. Returns their ids."""
    now = now or timezone.now()
    patience = timedelta(seconds=settings.TRIGGERS_REQUEUE_AFTER_SECONDS)
    # A live send ends within the timeout (a Git write-back within its own);
    # longer means its worker is gone.
    webhook_gone = now - patience - timedelta(seconds=settings.TRIGGER_TIMEOUT)
    git_gone = now - patience - timedelta(seconds=settings.TRIGGER_GIT_TIMEOUT)
    stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING).filter(
        Q(claimed_at__lt=webhook_gone) & ~Q(trigger__preset=Preset.GIT)
        | Q(claimed_at__lt=git_gone, trigger__preset=Preset.GIT)
    )
    stuck.filter(kind=DeliveryKind.TEST).update(
        status=DeliveryStatus.FAILED, finished=now, error="the test send was interrupted"
    )
    # The attempt limit holds also for sends that never come back (a worker
    # killed by what it was sending, every time).
    stuck.filter(kind=DeliveryKind.CHANGE, attempts__gte=settings.TRIGGER_MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED,
        finished=now,
        claimed_at=None,
        error=(
            "the worker sending this delivery stopped; gave up after "
            f"{settings.TRIGGER_MAX_ATTEMPTS} attempts"
        ),
    )
    stuck_ids = list(
        stuck.filter(kind=DeliveryKind.CHANGE).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    Delivery.objects.filter(pk__in=stuck_ids, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.RETRYING,
        next_attempt_at=now,
        claimed_at=None,
        error="the worker sending this delivery stopped; it will be sent again",
    )
    waiting = Delivery.objects.filter(
        status__in=WAITING_STATUSES, next_attempt_at__lt=now - patience
    ).order_by("next_attempt_at")
    ids = stuck_ids + list(waiting.values_list("pk", flat=True)[:SWEEP_BATCH])
    for delivery_id in ids:
        _enqueue(delivery_id)
    return ids


def retry_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff from the base; a receiver's Retry-After is waited
    for at least; never longer than the configured maximum."""
    delay = settings.TRIGGER_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, settings.TRIGGER_RETRY_MAX_SECONDS)


def _change_facts(delivery: Delivery) -> ChangeFacts:
    change = delivery.change
    assert change is not None  # only change deliveries are queued; test ones are sent at once
    return ChangeFacts(
        project=change.project_name,
        stream=change.stream_name,
        tag=change.tag_name,
        digest=change.digest,
        previous_digest=change.previous_digest,
        pull_spec=change.pull_spec,
        cause=change.cause,
        actor=change.actor,
        time=change.created.isoformat(),
    )


def _send(
    delivery: Delivery, facts: ChangeFacts, *, test: bool
) -> tuple[OutgoingRequest | None, transport.SendResult]:
    trigger = delivery.trigger
    try:
        secret, token = trigger.get_secret(), trigger.get_token()
    except ValueError as exc:
        return None, transport.SendResult(AttemptOutcome.FAILURE, 0, error=str(exc))
    try:
        return _build_and_send(delivery, facts, secret=secret, token=token, test=test)
    except Exception as exc:
        # Whatever went wrong, the attempt is recorded and counts, so that
        # the attempt limit holds (an exception here used to leave the
        # delivery "sending", re-queued by the sweep for ever).
        logger.exception("delivery %s: unexpected error while sending", delivery.uuid)
        error = f"unexpected error while sending: {type(exc).__name__}: {exc}"
        return None, transport.SendResult(AttemptOutcome.RETRY, 0, error=error)


def _build_and_send(
    delivery: Delivery, facts: ChangeFacts, *, secret: str, token: str, test: bool
) -> tuple[OutgoingRequest, transport.SendResult]:
    trigger = delivery.trigger
    if trigger.preset == Preset.GIT:
        # A test of a write-back is a dry run: the diff, nothing committed.
        result = git_send(
            trigger,
            facts,
            token=token,
            delivery_id=str(delivery.uuid),
            dry_run=test,
            superseded=(lambda: "") if test else (lambda: superseded(delivery)),
        )
        return OutgoingRequest(url=trigger.url, body=b""), result
    payload = change_payload(facts, delivery_id=str(delivery.uuid), trigger=trigger.name, test=test)
    request = build_request(
        preset=trigger.preset,
        url=trigger.url,
        options=trigger.options,
        token=token,
        payload=payload,
    )
    transport.sign(request, secret=secret, delivery_id=str(delivery.uuid), event=payload["event"])
    result = transport.send(
        request,
        timeout=settings.TRIGGER_TIMEOUT,
        allow_private=settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES,
    )
    return request, result


def _record(
    delivery: Delivery,
    request: OutgoingRequest | None,
    result: transport.SendResult,
    *,
    started: datetime,
) -> DeliveryAttempt:
    now = timezone.now()
    test = delivery.kind == DeliveryKind.TEST
    retry_at = None
    if result.outcome == AttemptOutcome.RETRY and not test:
        if delivery.attempts < settings.TRIGGER_MAX_ATTEMPTS:
            retry_at = now + timedelta(seconds=retry_delay(delivery.attempts, result.retry_after))
        else:
            result.error += f"; gave up after {delivery.attempts} attempts"
    status = _status_after(result, retry_at)
    outcome = result.outcome
    if outcome == AttemptOutcome.RETRY and retry_at is None:
        outcome = AttemptOutcome.FAILURE  # a test, or out of attempts
    attempt = DeliveryAttempt(
        delivery=delivery,
        started=started,
        duration_ms=result.duration_ms,
        request_url=request.url if request else delivery.trigger.url,
        response_status=result.status_code,
        response_body=result.body,
        error=result.error,
        commit=result.commit,
        diff=result.diff,
        outcome=outcome,
        retry_at=retry_at,
    )
    with transaction.atomic():
        # The lock numbers attempts one after the other; no row means the
        # trigger was deleted while we were sending: nothing left to record.
        if not Delivery.objects.select_for_update().filter(pk=delivery.pk).exists():
            return attempt
        attempt.number = DeliveryAttempt.objects.filter(delivery=delivery).count() + 1
        attempt.save()
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=status,
            next_attempt_at=retry_at or F("next_attempt_at"),
            claimed_at=None,
            response_status=result.status_code,
            error=result.error,
            finished=None if retry_at else now,
        )
        if not test:
            _update_trigger_health(delivery, result, status, now)
        if retry_at:
            _enqueue(delivery.pk, countdown=(retry_at - now).total_seconds())
    telemetry.delivery_attempted(delivery, outcome, status, now=now, error=result.error)
    return attempt


def _status_after(result: transport.SendResult, retry_at: datetime | None) -> str:
    if result.outcome == AttemptOutcome.SUCCESS:
        return DeliveryStatus.SUCCEEDED
    return DeliveryStatus.RETRYING if retry_at else DeliveryStatus.FAILED


def _update_trigger_health(
    delivery: Delivery, result: transport.SendResult, status: str, now: datetime
) -> None:
    """With .update(), so that a user's concurrent edit of the trigger is kept."""
    triggers = Trigger.objects.filter(pk=delivery.trigger_id)
    health = {
        "last_delivery_at": now,
        "last_response_status": result.status_code,
        "last_error": result.error,
    }
    if status == DeliveryStatus.SUCCEEDED:
        triggers.update(consecutive_failures=0, **health)
        return
    if status != DeliveryStatus.FAILED:
        triggers.update(**health)
        return
    triggers.update(consecutive_failures=F("consecutive_failures") + 1, **health)
    limit = settings.TRIGGER_DISABLE_AFTER_FAILURES
    if result.permanent:
        reason = f"the receiver answered 410 Gone to delivery {delivery.uuid}"
        triggers.filter(enabled=True).update(enabled=False, disabled_reason=f"Disabled: {reason}.")
    elif limit > 0:
        reason = (
            f"Disabled after {limit} failed deliveries in a row; the last one ({delivery.uuid}) "
            f"failed with: {result.error}. Fix the receiver, then enable the trigger again."
        )
        triggers.filter(enabled=True, consecutive_failures__gte=limit).update(
            enabled=False, disabled_reason=reason
        )


def _cancel(delivery: Delivery) -> None:
    """Deliveries of a paused or disabled trigger are not sent later."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.CANCELLED,
        attempts=F("attempts") - 1,
        claimed_at=None,
        finished=timezone.now(),
        error="not sent: the trigger was paused or disabled",
    )


def _enqueue(delivery_id: int, countdown: float | None = None) -> None:
    from triggers.tasks import delivery_send_task

    enqueue_on_commit(delivery_send_task, delivery_id, countdown=countdown)
