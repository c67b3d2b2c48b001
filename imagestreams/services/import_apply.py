"""Writing what `import-image` fetched, the stream locked.

Tags the stream does not have yet, that no alias follows, are written
together in a few statements whatever their number (an import of a whole
repository into a new stream is all such tags): the rows are those the tag by
tag path writes for them. Every other tag goes that path (`record_import`),
with OpenShift's rules for history, conditions and aliases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import ImageStream, Tag
from imagestreams.models.streams import EventCause, ImportStatus, SourceKind
from imagestreams.registry.errors import RegistryError
from imagestreams.registry.fetch import FetchResult
from imagestreams.services.history import HistoryChange, NewEvent, tags_start_history
from imagestreams.services.images import images_upsert
from imagestreams.services.imports import TagImportStatus, log_failure, record_import
from imagestreams.services.streams import RequestGeneration

if TYPE_CHECKING:
    from imagestreams.services.import_image import PlannedTag

    Fetched = tuple[PlannedTag, FetchResult | RegistryError]

BATCH = 500  # rows per INSERT
LOOKUP_CHUNK = 1000  # names per SELECT


def import_results_apply(
    stream: ImageStream, fetched: list[Fetched], by: Principal, generation: RequestGeneration
) -> list[TagImportStatus]:
    """One status per fetched tag, in the order given."""
    fresh = _fresh_positions(stream, fetched)
    statuses: dict[int, TagImportStatus] = {}
    if fresh:
        chosen = [fetched[index] for index in fresh]
        statuses.update(zip(fresh, _apply_fresh(stream, chosen, by, generation), strict=True))
    for index, (planned, result) in enumerate(fetched):
        if index not in statuses:
            statuses[index] = _apply_one(stream, planned, result, by, generation)
    return [statuses[index] for index in range(len(fetched))]


def _fresh_positions(stream: ImageStream, fetched: list[Fetched]) -> list[int]:
    """Positions of the tags that can be written together: new to the stream
    (the first of a name only), followed by no alias, and fetched or failed
    with a reason (an empty one compares equal to a new tag's no condition)."""
    names = sorted({planned.name for planned, _ in fetched})
    existing: set[str] = set()
    for start in range(0, len(names), LOOKUP_CHUNK):
        chunk = names[start : start + LOOKUP_CHUNK]
        tags = Tag.objects.filter(stream=stream, name__in=chunk)
        existing.update(tags.values_list("name", flat=True))
    followed = set(
        Tag.objects.filter(
            stream=stream,
            from_kind=SourceKind.IMAGE_STREAM_TAG,
            from_namespace__in=["", stream.project.name],
        ).values_list("from_name", flat=True)
    )
    positions, seen = [], set()
    for index, (planned, result) in enumerate(fetched):
        name = planned.name
        if name in seen or name in existing:
            continue
        seen.add(name)
        if name in followed or f"{stream.name}:{name}" in followed:
            continue
        if isinstance(result, RegistryError):
            if result.reason or result.message:
                positions.append(index)
        elif result.image is not None:
            positions.append(index)
    return positions


def _apply_fresh(
    stream: ImageStream, items: list[Fetched], by: Principal, generation: RequestGeneration
) -> list[TagImportStatus]:
    now = timezone.now()
    value = generation()  # every tag is a new spec: the request's generation
    images = images_upsert(
        [
            (result.image, planned.source.typed_repository)
            for planned, result in items
            if isinstance(result, FetchResult) and result.image is not None
        ]
    )
    tags = Tag.objects.bulk_create(
        [_new_tag(stream, planned, result, value, now) for planned, result in items],
        batch_size=BATCH,
    )
    ImageStream.objects.filter(pk=stream.pk).update(repository_checked_at=now)
    statuses: list[TagImportStatus] = []
    entries: list[tuple[Tag, NewEvent]] = []
    records: list[tuple[str, str, dict | None, dict | None]] = []
    for tag, (planned, result) in zip(tags, items, strict=True):
        target = f"{stream.name}:{tag.name}"
        if isinstance(result, RegistryError):
            log_failure(stream, tag, result)
            statuses.append(
                TagImportStatus(tag.name, ImportStatus.FAILURE, result.reason, result.message)
            )
            after = {"reason": result.reason, "message": result.message}
            records.append(("tag.import_failed", target, None, after))
            continue
        assert result.image is not None  # else not fresh
        image = images[result.image.digest]
        pull_spec = f"{planned.source.typed_repository}@{image.digest}"
        event = NewEvent(
            reference=pull_spec,
            image=image,
            generation=value,
            cause=EventCause.IMPORT,
            actor=by.name,
        )
        entries.append((tag, event))
        statuses.append(
            TagImportStatus(
                tag=tag.name,
                status=ImportStatus.SUCCESS,
                reference=pull_spec,
                digest=image.digest,
                image=result.image,
                changes=[(tag, HistoryChange.PREPENDED)],
            )
        )
        after = {"image": image.digest, "cause": EventCause.IMPORT}
        records.append(("tag.import", target, {"image": None}, after))
    if entries:
        tags_start_history(entries)
    audit.record_many(by=by, project=stream.project, entries=records)
    return statuses


def _new_tag(stream: ImageStream, planned: PlannedTag, result, generation: int, now) -> Tag:
    """The row the tag by tag path leaves for a new tag."""
    tag = Tag(
        stream=stream,
        name=planned.name,
        has_spec=True,
        from_kind=SourceKind.DOCKER_IMAGE,
        from_name=str(planned.source),
        from_namespace="",
        reference=False,
        scheduled=planned.scheduled,
        insecure=planned.insecure,
        reference_policy=planned.reference_policy,
        import_mode=planned.import_mode,
        generation=generation,
        pinned_from={},
        last_checked_at=now,
    )
    if isinstance(result, RegistryError):
        tag.condition_reason, tag.condition_message = result.reason, result.message
        tag.condition_generation, tag.condition_time = generation, now
    else:
        tag.upstream_digest = result.upstream_digest
    return tag


def _apply_one(
    stream: ImageStream,
    planned: PlannedTag,
    result,
    by: Principal,
    generation: RequestGeneration,
) -> TagImportStatus:
    tag, created = Tag.objects.get_or_create(stream=stream, name=planned.name)
    source = str(planned.source)
    ref_changed = (
        created
        or not tag.has_spec
        or tag.from_kind != SourceKind.DOCKER_IMAGE
        or tag.from_name != source
        or tag.import_mode != planned.import_mode
        or tag.reference
    )
    tag.note_new_spec(pinned="@" in source)
    tag.has_spec = True
    tag.from_kind, tag.from_name, tag.from_namespace = SourceKind.DOCKER_IMAGE, source, ""
    tag.reference = False
    tag.scheduled, tag.insecure = planned.scheduled, planned.insecure
    tag.reference_policy, tag.import_mode = planned.reference_policy, planned.import_mode
    if ref_changed:
        tag.generation = generation()
    tag.save(update_fields=Tag.SPEC_FIELDS)
    return record_import(
        stream, tag, planned.source, result, cause=EventCause.IMPORT, by=by, generation=generation
    )
