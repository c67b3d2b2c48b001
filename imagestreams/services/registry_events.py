"""Push notifications of the integrated registry: stored on receipt
(deduplicated by event id), applied by a task, repaired by reconciliation.

The registry re-sends an event until it gets a 2xx and blocks every later
event meanwhile, so receiving only stores the event and answers; the work
happens in `registry_event_process`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeGuard

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from imagestreams.access import acting_system
from imagestreams.enqueue import enqueue_on_commit
from imagestreams.integrated_registry import integrated_registry_configured
from imagestreams.models import RegistryEvent
from imagestreams.models.pushes import RegistryEventSource, RegistryEventStatus
from imagestreams.registry.errors import RegistryError
from imagestreams.registry.reference import is_digest
from imagestreams.services import pushes
from imagestreams.services.errors import InvalidInput

logger = logging.getLogger(__name__)

MANIFEST_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
MAX_EVENT_ATTEMPTS = 10
SWEEP_BATCH = 500
# A registry outage should not stall a whole reconciliation run for long.
RECONCILE_MAX_TAGS = 10000


@dataclass
class ReceiveResult:
    accepted: int = 0
    duplicates: int = 0
    ignored: int = 0


def registry_events_receive(envelope: object) -> ReceiveResult:
    """Store the tagged manifest pushes of a notification envelope and queue
    them; everything else (blob pushes, pulls, deletes, mounts, child
    manifests pushed by digest) is counted as ignored."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("events"), list):
        raise InvalidInput('the body must be an object with an "events" list', field="events")
    result = ReceiveResult()
    with transaction.atomic():
        for raw in envelope["events"]:
            fields = _push_fields(raw)
            if fields is None:
                result.ignored += 1
                continue
            event, created = RegistryEvent.objects.get_or_create(
                event_id=fields.pop("event_id"), defaults=fields
            )
            if created:
                result.accepted += 1
                _enqueue(event.pk)
            else:
                result.duplicates += 1
    return result


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _is_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)


def _push_fields(raw: object) -> dict | None:
    if not isinstance(raw, dict) or raw.get("action") != "push":
        return None
    target = _mapping(raw.get("target"))
    event_id, tag = raw.get("id"), target.get("tag")
    repository, digest = target.get("repository"), target.get("digest")
    if not (_is_text(event_id) and _is_text(tag) and _is_text(repository)):
        return None  # child manifests of an index are pushed by digest, without a tag
    if target.get("mediaType") not in MANIFEST_MEDIA_TYPES or not is_digest(digest or ""):
        return None
    actor = _mapping(raw.get("actor"))
    timestamp = parse_datetime(str(raw.get("timestamp", ""))) or timezone.now()
    return {
        "event_id": event_id[:200],
        "repository": repository[:255],
        "tag": tag[:128],
        "digest": digest,
        "media_type": target["mediaType"],
        "actor": str(actor.get("name", ""))[:150],
        "timestamp": timestamp,
    }


def registry_event_process(event_id: int) -> RegistryEvent | None:
    """Apply one stored push; None if another worker has it or it is done.

    1. Claim the event with a conditional UPDATE.
    2. Work out the target (an unknown project or a repository that is not
       `<project>/<stream>` is ignored and logged) and fetch the manifest.
    3. Under the stream's lock, skip it if a newer push of the same tag was
       applied meanwhile (workers may finish out of order), else record it.
    """
    now = timezone.now()
    claimed = RegistryEvent.objects.filter(pk=event_id, status=RegistryEventStatus.PENDING).update(
        status=RegistryEventStatus.PROCESSING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    event = RegistryEvent.objects.get(pk=event_id)
    try:
        target = pushes.push_target(event.repository, event.tag)
    except pushes.PushIgnored as exc:
        logger.warning("registry event %s ignored: %s", event.event_id, exc.message)
        return _finish(event, RegistryEventStatus.IGNORED, exc.message)
    try:
        with pushes.integrated_registry_client() as client:
            fetched = pushes.push_fetch(client, event.repository, event.digest)
    except RegistryError as exc:
        return _failed_fetch(event, exc)
    except Exception as exc:
        # Counted like a transient failure, so that the attempt limit holds.
        logger.exception("registry event %s: unexpected error", event.event_id)
        error = f"unexpected error: {type(exc).__name__}: {exc}"
        return _failed_fetch(event, RegistryError(error, retryable=True))
    with transaction.atomic():
        # Locks the stream first, so the check below and the write are atomic.
        stream_locked = pushes.push_stream_lock(target)
        if _superseded(event):
            return _finish(
                event, RegistryEventStatus.IGNORED, "a newer push of this tag was applied"
            )
        changes = pushes.push_record(
            stream=stream_locked,
            target=target,
            fetched=fetched,
            by=acting_system("registry", event.actor),
        )
        message = "tag moved" if changes else "the tag already pointed to this image"
        return _finish(event, RegistryEventStatus.APPLIED, message)


def _superseded(event: RegistryEvent) -> bool:
    return RegistryEvent.objects.filter(
        repository=event.repository,
        tag=event.tag,
        status=RegistryEventStatus.APPLIED,
        timestamp__gt=event.timestamp,
    ).exists()


def _failed_fetch(event: RegistryEvent, error: RegistryError) -> RegistryEvent:
    """Transient errors leave the event pending for the sweep; after too many
    tries (or a manifest that is gone) it is marked failed."""
    message = f"cannot read the pushed manifest: {error.message}"
    logger.warning("registry event %s: %s", event.event_id, message)
    if error.retryable and event.attempts < MAX_EVENT_ATTEMPTS:
        RegistryEvent.objects.filter(pk=event.pk).update(
            status=RegistryEventStatus.PENDING, claimed_at=None, message=message
        )
        event.refresh_from_db()
        return event
    return _finish(event, RegistryEventStatus.FAILED, message)


def _finish(event: RegistryEvent, status: str, message: str) -> RegistryEvent:
    RegistryEvent.objects.filter(pk=event.pk).update(
        status=status, processed_at=timezone.now(), claimed_at=None, message=message
    )
    event.refresh_from_db()
    return event


def registry_events_sweep(now: datetime | None = None) -> list[int]:
    """Re-queue events waiting too long (lost enqueue, failed fetch) and
    events whose worker died while processing them."""
    now = now or timezone.now()
    patience = timedelta(seconds=settings.REGISTRY_EVENTS_REQUEUE_AFTER_SECONDS)
    stuck_before = now - patience - timedelta(seconds=settings.REGISTRY_TIMEOUT * 10)
    stuck = RegistryEvent.objects.filter(
        status=RegistryEventStatus.PROCESSING, claimed_at__lt=stuck_before
    )
    # The attempt limit holds also when processing never comes back.
    stuck.filter(attempts__gte=MAX_EVENT_ATTEMPTS).update(
        status=RegistryEventStatus.FAILED,
        processed_at=now,
        claimed_at=None,
        message=f"processing stopped {MAX_EVENT_ATTEMPTS} times; gave up",
    )
    stuck.update(status=RegistryEventStatus.PENDING, claimed_at=None)
    waiting = RegistryEvent.objects.filter(
        status=RegistryEventStatus.PENDING, received__lt=now - patience
    ).order_by("received")
    ids = list(waiting.values_list("pk", flat=True)[:SWEEP_BATCH])
    for event_id in ids:
        _enqueue(event_id)
    return ids


def integrated_registry_reconcile() -> list[RegistryEvent]:
    """Apply the registry's tags whose push we never saw (the registry drops
    queued notifications when it restarts).

    A tag needs repair when its digest differs from the last push of that
    tag we applied. Repairs go through the same path as notifications, as
    events stamped now, so an older notification arriving later is skipped.
    """
    if not integrated_registry_configured():
        return []
    repaired = []
    with pushes.integrated_registry_client() as client:
        listing = pushes.registry_tag_digests(client)
        for count, (repository, tag, digest) in enumerate(listing):
            if count >= RECONCILE_MAX_TAGS:
                logger.warning("reconciliation stopped after %d tags", RECONCILE_MAX_TAGS)
                break
            if _last_applied_digest(repository, tag) == digest:
                continue
            try:
                pushes.push_target(repository, tag)
            except pushes.PushIgnored:
                continue  # not an image stream (yet); nothing to repair
            event = RegistryEvent.objects.create(
                event_id=f"reconcile-{uuid.uuid4()}",
                source=RegistryEventSource.RECONCILE,
                repository=repository,
                tag=tag,
                digest=digest,
                media_type="",
                timestamp=timezone.now(),
            )
            repaired.append(registry_event_process(event.pk) or event)
    return repaired


def _last_applied_digest(repository: str, tag: str) -> str | None:
    return (
        RegistryEvent.objects.filter(
            repository=repository, tag=tag, status=RegistryEventStatus.APPLIED
        )
        .order_by("-timestamp", "-id")
        .values_list("digest", flat=True)
        .first()
    )


def _enqueue(event_id: int) -> None:
    from imagestreams.tasks import registry_event_process_task

    enqueue_on_commit(registry_event_process_task, event_id)
