"""Celery tasks of the triggers app: thin, id-based, safe to run twice (every
service they call claims its work in the database first)."""

from __future__ import annotations

import logging

from celery import shared_task

from imagestreams.taskbase import RetryOnDatabaseErrors, SkipOnDatabaseErrors

logger = logging.getLogger(__name__)


@shared_task(base=RetryOnDatabaseErrors)
def tag_change_fan_out_task(change_id: int) -> int | None:
    from triggers.services.fanout import tag_change_fan_out

    created = tag_change_fan_out(change_id)
    return None if created is None else len(created)


@shared_task(base=RetryOnDatabaseErrors)
def tag_changes_fan_out_task(change_ids: list[int]) -> int:
    """`tag_change_fan_out_task` for changes recorded together; each is
    fanned out in its own transaction, so a retry redoes only the unmarked."""
    from triggers.services.fanout import tag_change_fan_out

    return sum(len(tag_change_fan_out(change_id) or []) for change_id in change_ids)


@shared_task(base=RetryOnDatabaseErrors)
def delivery_send_task(delivery_id: int) -> str | None:
    from triggers.services.deliveries import delivery_send

    attempt = delivery_send(delivery_id)
    return attempt.outcome if attempt else None


@shared_task(base=SkipOnDatabaseErrors)
def triggers_sweep_task() -> dict[str, int]:
    """Beat: fan out changes and re-queue deliveries nobody is working on."""
    from triggers.services.deliveries import deliveries_sweep
    from triggers.services.fanout import tag_changes_sweep

    return {"changes": len(tag_changes_sweep()), "deliveries": len(deliveries_sweep())}
