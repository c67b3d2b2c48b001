"""Celery tasks: thin interfaces that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from imagestreams.access import acting_system
from imagestreams.enqueue import enqueue_on_commit
from imagestreams.models import Tag, TagEvent
from imagestreams.models.streams import SourceKind
from imagestreams.taskbase import RetryOnDatabaseErrors, SkipOnDatabaseErrors

RECONCILE_BATCH = 500


@shared_task(base=RetryOnDatabaseErrors, acks_late=True)
def tag_import_task(tag_id: int) -> str | None:
    """Import one tag; safe to run twice (the second run changes nothing)."""
    from imagestreams.services.import_requests import requested_import_run

    status = requested_import_run(tag_id)
    return status.status if status else None


def pending_import_tags():
    """Importable tags whose spec generation was not realised yet (a lost
    enqueue, a worker killed mid-import): OpenShift's import controller loop."""
    head_generation = Subquery(
        TagEvent.objects.filter(tag=OuterRef("pk")).order_by("-id").values("generation")[:1]
    )
    return (
        Tag.objects.filter(from_kind=SourceKind.DOCKER_IMAGE, reference=False)
        .annotate(
            observed=Greatest(
                Coalesce(head_generation, Value(0)),
                Coalesce(F("condition_generation"), Value(0)),
            )
        )
        .filter(Q(generation__gt=F("observed")))
    )


@shared_task(base=SkipOnDatabaseErrors)
def imports_reconcile_pending() -> int:
    tag_ids = list(pending_import_tags().values_list("pk", flat=True)[:RECONCILE_BATCH])
    for tag_id in tag_ids:
        tag_import_task.delay(tag_id)
    return len(tag_ids)


@shared_task(base=SkipOnDatabaseErrors)
def scheduled_sweep() -> int:
    """Beat, every few seconds: claim due scheduled tags, one task per batch.

    Claims are committed before the batches are sent; a batch that never runs
    leaves its tags due again one interval later."""
    from imagestreams.scheduling.sweep import sweep

    claims = sweep()
    for claim in claims:
        enqueue_on_commit(scheduled_check_batch, claim.token, claim.tag_ids)
    return sum(len(claim.tag_ids) for claim in claims)


@shared_task(base=RetryOnDatabaseErrors, acks_late=True)
def scheduled_check_batch(token: str, tag_ids: list[int]) -> dict[str, int]:
    """Check one claimed batch; running it twice checks nothing twice."""
    from imagestreams.scheduling.checks import check_batch

    return check_batch(token, tag_ids, by=acting_system()).as_dict()


@shared_task(base=RetryOnDatabaseErrors)
def registry_event_process_task(event_id: int) -> str | None:
    from imagestreams.services.registry_events import registry_event_process

    event = registry_event_process(event_id)
    return event.status if event else None


@shared_task(base=SkipOnDatabaseErrors)
def registry_events_sweep_task() -> int:
    """Beat: re-queue pushes to the integrated registry nobody is applying."""
    from imagestreams.services.registry_events import registry_events_sweep

    return len(registry_events_sweep())


@shared_task(base=SkipOnDatabaseErrors)
def integrated_registry_reconcile_task() -> int:
    """Beat: apply pushes whose notification the integrated registry lost."""
    from imagestreams.services.registry_events import integrated_registry_reconcile

    return len(integrated_registry_reconcile())
