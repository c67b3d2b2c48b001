"""Celery tasks of the triggers app: thin, id-based, safe to run twice (every
service they call claims its work in the database first)."""

from __future__ import annotations

import logging

from celery import shared_task

from imagestreams.taskbase import RetryOnDatabaseErrors, SkipOnDatabaseErrors

logger = logging.getLogger(__name__)


@shared_task(base=RetryOnDatabaseErrors)
def delivery_send_task(delivery_id: int) -> str | None:
    from triggers.services.deliveries import delivery_send

    attempt = delivery_send(delivery_id)
    return attempt.outcome if attempt else None


@shared_task(base=RetryOnDatabaseErrors)
def registry_event_process_task(event_id: int) -> str | None:
    from triggers.services.registry_events import registry_event_process

    event = registry_event_process(event_id)
    return event.status if event else None


@shared_task(base=SkipOnDatabaseErrors)
def triggers_sweep_task() -> dict[str, int]:
    """Beat: re-queue deliveries and registry events nobody is working on."""
    from triggers.services.deliveries import deliveries_sweep
    from triggers.services.registry_events import registry_events_sweep

    return {"deliveries": len(deliveries_sweep()), "registry_events": len(registry_events_sweep())}


@shared_task(base=SkipOnDatabaseErrors)
def integrated_registry_reconcile_task() -> int:
    """Beat: apply pushes whose notification the integrated registry lost."""
    from triggers.services.registry_events import integrated_registry_reconcile

    return len(integrated_registry_reconcile())
