"""The fan-out: turn one change of the core's feed (TagChange) into one
pending delivery per enabled trigger watching it.

The core announces each change inside the transaction that recorded it
(imagestreams.signals.tag_changed); the fan-out task runs after commit. It is
idempotent: a change is fanned out once (its row is locked and marked), and
the unique constraint allows one delivery per change and trigger whatever
happens. A change whose task was lost or whose worker died is found by the
sweep, since it stays unmarked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imagestreams.enqueue import enqueue_on_commit
from imagestreams.models import TagChange
from triggers.models import Delivery, Trigger

SWEEP_BATCH = 500
FAN_OUT_CHUNK = 100  # changes per fan-out task when many are announced at once


def tag_change_announced(change: TagChange) -> None:
    """Receiver of `tag_changed`: fan out once the change is committed (a
    rolled-back change is never announced)."""
    from triggers.tasks import tag_change_fan_out_task

    enqueue_on_commit(tag_change_fan_out_task, change.pk)


def tag_changes_announced(changes: list[TagChange]) -> None:
    """Receiver of `tag_changes_recorded` (many changes written at once): one
    task per FAN_OUT_CHUNK changes instead of one per change."""
    from triggers.tasks import tag_changes_fan_out_task

    ids = [change.pk for change in changes]
    for start in range(0, len(ids), FAN_OUT_CHUNK):
        enqueue_on_commit(tag_changes_fan_out_task, ids[start : start + FAN_OUT_CHUNK])


def tag_change_fan_out(change_id: int) -> list[int] | None:
    """Write the deliveries `change_id` owes and mark it fanned out; the new
    deliveries' ids, or None if it was fanned out already (or is gone)."""
    with transaction.atomic():
        # Of two workers fanning out one change, the second waits here and
        # then finds the change marked.
        change = (
            TagChange.objects.select_for_update()
            .filter(pk=change_id, fanned_out_at__isnull=True)
            .first()
        )
        if change is None:
            return None
        created_ids = []
        for trigger in triggers_watching(change):
            delivery, created = Delivery.objects.get_or_create(trigger=trigger, change=change)
            if created:
                created_ids.append(delivery.pk)
                _enqueue_send(delivery.pk)
        TagChange.objects.filter(pk=change.pk, fanned_out_at__isnull=True).update(
            fanned_out_at=timezone.now()
        )
    return created_ids


def triggers_watching(change: TagChange) -> list[Trigger]:
    """Enabled triggers on the changed tag that existed when it changed (a
    fan-out the sweep does late must not fire triggers created since)."""
    return list(
        Trigger.objects.filter(
            project__name=change.project_name,
            stream=change.stream_name,
            enabled=True,
            created__lte=change.created,
        )
        .filter(Q(tag="") | Q(tag=change.tag_name))
        .only("pk")
    )


def tag_changes_sweep(now: datetime | None = None) -> list[int]:
    """Queue the fan-out of changes still not fanned out after a while (a
    lost task, a worker that died while fanning out). Returns their ids."""
    now = now or timezone.now()
    patience = timedelta(seconds=settings.TRIGGERS_REQUEUE_AFTER_SECONDS)
    waiting = TagChange.objects.filter(
        fanned_out_at__isnull=True, created__lt=now - patience
    ).order_by("created")
    ids = list(waiting.values_list("pk", flat=True)[:SWEEP_BATCH])
    for change_id in ids:
        _enqueue_fan_out(change_id)
    return ids


def _enqueue_fan_out(change_id: int) -> None:
    from triggers.tasks import tag_change_fan_out_task

    enqueue_on_commit(tag_change_fan_out_task, change_id)


def _enqueue_send(delivery_id: int) -> None:
    from triggers.tasks import delivery_send_task

    # After commit only: the worker must be able to read the row.
    enqueue_on_commit(delivery_send_task, delivery_id)
