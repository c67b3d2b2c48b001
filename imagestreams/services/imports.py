"""Importing tags from external registries (OpenShift's ImageStreamImport).

Network work happens outside database transactions; results are then applied
under the stream's lock, re-reading the tag, so concurrent imports of one tag
write at most one history entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.image_config import image_config, trusted_import_hosts
from imagestreams.models import ImageStream, Tag
from imagestreams.models.streams import EventCause, ImportStatus
from imagestreams.operations import telemetry
from imagestreams.registry.client import RegistryClient
from imagestreams.registry.errors import InvalidReference, RegistryError
from imagestreams.registry.fetch import FetchedImage, FetchResult, fetch_image
from imagestreams.registry.netguard import Guard
from imagestreams.registry.pool import POOL_LIMITS, SharedConnections
from imagestreams.registry.reference import ImageReference, parse_reference
from imagestreams.scheduling.limits import PacedTransport, process_limits
from imagestreams.services.credentials import credentials_lookup
from imagestreams.services.history import (
    HistoryChange,
    NewEvent,
    tag_add_event_and_follow,
    tag_head,
)
from imagestreams.services.images import image_upsert
from imagestreams.services.streams import RequestGeneration, stream_lock

logger = logging.getLogger(__name__)

PREFER_ARCH = "importer.image.openshift.io/prefer-arch"
PREFER_OS = "importer.image.openshift.io/prefer-os"


@dataclass
class TagImportStatus:
    """Outcome of importing one tag, as reported to users."""

    tag: str
    status: ImportStatus
    reason: str = ""
    message: str = ""
    reference: str = ""
    digest: str = ""
    image: FetchedImage | None = None
    changes: list[tuple[Tag, HistoryChange]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == ImportStatus.FAILURE


def import_guard() -> Guard:
    """Which addresses imports may connect to (the environment decides);
    the integrated registry is always allowed."""
    return Guard(
        allow_private=settings.IMPORT_ALLOW_PRIVATE_ADDRESSES,
        trusted_hosts=trusted_import_hosts(),
    )


def registry_client(project, *, shared: SharedConnections | None = None) -> RegistryClient:
    return RegistryClient(
        credentials=credentials_lookup(project),
        insecure_registries=list(image_config().insecure_registries),
        timeout=settings.REGISTRY_TIMEOUT,
        guard=import_guard(),
        shared=shared,
    )


def paced_connections() -> SharedConnections:
    """Connections for an import of many tags from several threads: every
    request waits for its registry's limits, the same process-wide limits
    that scheduled checks keep (IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY and
    IMAGESTREAMS_REGISTRY_REQUESTS_PER_SECOND)."""
    limits = process_limits(
        settings.REGISTRY_REQUESTS_PER_SECOND, settings.REGISTRY_MAX_CONCURRENCY
    )
    guard = import_guard()

    def paced(verify_tls: bool) -> httpx.BaseTransport:
        return PacedTransport(guard.transport(verify=verify_tls, limits=POOL_LIMITS), limits)

    return SharedConnections(paced, timeout=settings.REGISTRY_TIMEOUT)


def fetch_for_tag(
    client: RegistryClient,
    tag: Tag,
    reference: ImageReference,
    *,
    insecure: bool,
    known_upstream_digest: str | None,
    resolve_first: bool = True,
) -> FetchResult | RegistryError:
    try:
        return fetch_image(
            client,
            reference,
            insecure=insecure,
            import_mode=tag.import_mode,
            prefer_arch=tag.annotations.get(PREFER_ARCH, ""),
            prefer_os=tag.annotations.get(PREFER_OS, ""),
            known_upstream_digest=known_upstream_digest,
            resolve_first=resolve_first,
        )
    except RegistryError as exc:
        return exc
    except Exception as exc:
        # Recorded as a failed import like any other, so that the tag is no
        # longer pending and nothing retries it for ever.
        logger.exception("import of %s: unexpected error", reference)
        return RegistryError(f"unexpected error while importing: {type(exc).__name__}: {exc}")


def tag_import(
    tag_id: int, *, by: Principal, cause: str = EventCause.IMPORT, client=None
) -> TagImportStatus | None:
    """Import one tag whose source is an external image. None if there is
    nothing to import (tag deleted, or its source is no longer external)."""
    tag = Tag.objects.select_related("stream__project").filter(pk=tag_id).first()
    if tag is None or not tag.is_importable:
        return None
    try:
        reference = parse_reference(tag.from_name)
    except InvalidReference as exc:
        return _record_unparsable(tag, exc, by)
    head = tag_head(tag)
    # A full fetch when the spec asks for a new import, or when a failure is
    # recorded: a recovered upstream must clear it even if its digest is old.
    needs_full = tag.import_pending(head) or head is None or tag.has_condition
    known = None if needs_full else tag.upstream_digest or None
    insecure = tag.insecure or tag.stream.insecure
    own_client = client is None
    client = client or registry_client(tag.stream.project)
    try:
        result = fetch_for_tag(
            client, tag, reference, insecure=insecure, known_upstream_digest=known
        )
    finally:
        if own_client:
            client.close()
    with transaction.atomic():
        stream = stream_lock(tag.stream_id)
        tag = Tag.objects.select_related("stream__project").filter(pk=tag_id).first()
        if tag is None or not tag.is_importable or tag.from_name != str(reference):
            return None  # changed while we were fetching; the newer spec wins
        status = record_import(stream, tag, reference, result, cause=cause, by=by)
    telemetry.imports_finished(stream, [(status, reference, reference.registry_host)], cause=cause)
    return status


def _record_unparsable(
    stale: Tag, error: InvalidReference, by: Principal
) -> TagImportStatus | None:
    """A source saved before the reference grammar refused it: its failure is
    recorded once, instead of the import failing at every reconcile."""
    with transaction.atomic():
        stream = stream_lock(stale.stream_id)
        tag = Tag.objects.select_related("stream__project").filter(pk=stale.pk).first()
        if tag is None or not tag.is_importable or tag.from_name != stale.from_name:
            return None
        return _record_failure(stream, tag, error, timezone.now(), by)


def record_import(
    stream: ImageStream,
    tag: Tag,
    reference: ImageReference | None,
    result: FetchResult | RegistryError,
    *,
    cause: str,
    by: Principal,
    chosen_by_policy: str = "",
    generation: RequestGeneration | None = None,
) -> TagImportStatus:
    """Apply a fetch result to a tag (stream locked, tag freshly read). A source
    that does not parse has no `reference`, only an error. History names the
    upstream tag a tag policy chose (`chosen_by_policy`) as who moved the tag.
    Imports of several tags in one request pass their shared `generation`."""
    now = timezone.now()
    generation = generation or RequestGeneration(stream)
    if isinstance(result, RegistryError):
        return _record_failure(stream, tag, result, now, by, generation)
    head = tag_head(tag)
    fetched = result.image
    unchanged = fetched is None or (
        not tag.import_pending(head)
        and not tag.has_condition
        and head is not None
        and head.digest == fetched.digest
    )
    if unchanged:
        Tag.objects.filter(pk=tag.pk).update(
            last_checked_at=now, upstream_digest=result.upstream_digest
        )
        return TagImportStatus(
            tag=tag.name, status=ImportStatus.UNCHANGED, digest=head.digest if head else ""
        )
    assert fetched is not None  # else unchanged
    assert reference is not None  # something was fetched from it
    image = image_upsert(fetched, repository=reference.typed_repository)
    tag.generation = generation()
    Tag.objects.filter(pk=tag.pk).update(
        generation=tag.generation, upstream_digest=result.upstream_digest, last_checked_at=now
    )
    ImageStream.objects.filter(pk=stream.pk).update(repository_checked_at=now)
    pull_spec = f"{reference.typed_repository}@{image.digest}"
    who = f"policy:{chosen_by_policy}" if chosen_by_policy else by.name
    event = NewEvent(
        reference=pull_spec, image=image, generation=tag.generation, cause=cause, actor=who
    )
    changes = tag_add_event_and_follow(tag, event)
    audit.record(
        "tag.import",
        by=by,
        project=stream.project,
        target=f"{stream.name}:{tag.name}",
        before={"image": head.digest if head else None},
        after={"image": image.digest, "cause": cause},
    )
    return TagImportStatus(
        tag=tag.name,
        status=ImportStatus.SUCCESS,
        reference=pull_spec,
        digest=image.digest,
        image=fetched,
        changes=changes,
    )


def log_failure(stream: ImageStream, tag: Tag, error: RegistryError) -> None:
    logger.info("import of %s/%s failed: %s", stream.project.name, tag, error.message)


def _record_failure(
    stream: ImageStream,
    tag: Tag,
    error: RegistryError,
    now,
    by: Principal,
    generation: RequestGeneration | None = None,
) -> TagImportStatus:
    status = TagImportStatus(
        tag=tag.name, status=ImportStatus.FAILURE, reason=error.reason, message=error.message
    )
    log_failure(stream, tag, error)
    if tag.condition_reason == error.reason and tag.condition_message == error.message:
        # Identical repeated failures keep the original transition time, but
        # observe the current generation, or the tag would look pending forever.
        Tag.objects.filter(pk=tag.pk).update(
            last_checked_at=now, condition_generation=max(tag.generation, tag.condition_generation)
        )
        return status
    new_generation = (generation or RequestGeneration(stream))()
    # A failure is a write too: OpenShift stamps the check on the stream.
    ImageStream.objects.filter(pk=stream.pk).update(repository_checked_at=now)
    audit.record(
        "tag.import_failed",
        by=by,
        project=stream.project,
        target=f"{stream.name}:{tag.name}",
        after={"reason": error.reason, "message": error.message},
    )
    Tag.objects.filter(pk=tag.pk).update(
        generation=new_generation,
        condition_reason=error.reason,
        condition_message=error.message,
        condition_generation=new_generation,
        condition_time=now,
        last_checked_at=now,
    )
    return status
