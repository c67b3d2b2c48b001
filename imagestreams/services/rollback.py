"""Rolling a tag back to an earlier image of its history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import Tag, TagEvent
from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.services.errors import Conflict, InvalidInput, NotFound
from imagestreams.services.history import NewEvent, tag_add_event_and_follow
from imagestreams.services.streams import stream_bump_generation, stream_lock


@dataclass
class RollbackResult:
    tag: Tag
    event: TagEvent
    previous_source: str
    message: str


def tag_rollback(
    *, by: Principal, tag: Tag, to: str | None = None, steps: int | None = None
) -> RollbackResult:
    """Point `tag` at an earlier image of its history and pin it there.

    Like `oc tag <stream>@<old> <stream>:<tag>`: the spec becomes that exact
    image (a scheduled import stops, so the next check cannot undo the
    rollback), and a new history entry is prepended; older ones are kept.
    """
    if to and steps:
        raise InvalidInput("give either a digest to roll back to or a number of steps, not both")
    with transaction.atomic():
        stream = stream_lock(tag.stream_id)
        tag = Tag.objects.select_related("stream__project").get(pk=tag.pk)
        history = list(tag.events.select_related("image"))
        if not history:
            raise NotFound(f'tag "{tag}" has no history to roll back', field="tag")
        target = _pick_target(tag, history, to, 1 if not to and steps is None else steps)
        if target.image is None:
            raise InvalidInput(
                "that history entry has no image digest; it cannot be rolled back to"
            )
        if history[0].image_id == target.image_id:
            raise InvalidInput(f'"{tag}" already points to {target.image.digest}', field="to")
        previous_source = _describe_source(tag)
        generation = stream_bump_generation(stream)
        Tag.objects.filter(pk=tag.pk).update(
            has_spec=True,
            from_kind=SourceKind.IMAGE_STREAM_IMAGE,
            from_name=f"{stream.name}@{target.image.digest}",
            from_namespace=stream.project.name,
            reference=False,
            scheduled=False,
            insecure=False,
            generation=generation,
            upstream_digest="",
        )
        tag.generation = generation
        event = NewEvent(
            reference=target.docker_image_reference,
            image=target.image,
            generation=generation,
            cause=EventCause.ROLLBACK,
            actor=by.name,
        )
        tag_add_event_and_follow(tag, event)
        audit.record(
            "tag.rollback",
            by=by,
            project=stream.project,
            target=str(tag),
            before={"image": history[0].digest, "source": previous_source},
            after={"image": target.image.digest},
        )
    head = tag.events.select_related("image").first()
    assert head is not None  # the rollback just added an entry
    message = f"Tag {tag} rolled back to {target.image.digest}."
    if previous_source:
        message += f" It no longer follows {previous_source}; tag it again to resume."
    return RollbackResult(tag=tag, event=head, previous_source=previous_source, message=message)


def _pick_target(tag: Tag, history: list[TagEvent], to: str | None, steps: int | None) -> TagEvent:
    if to:
        prefix = to if ":" in to else f"sha256:{to}"
        matches = [e for e in history[1:] if e.image and e.image.digest.startswith(prefix)]
        digests = {e.image.digest for e in matches if e.image}
        if not digests:
            raise NotFound(f'"{to}" is not an earlier image of tag "{tag}"', field="to")
        if len(digests) > 1:
            raise Conflict(
                f'multiple images match the prefix "{to}": {", ".join(sorted(digests))}',
                field="to",
            )
        return matches[0]
    if steps is None or steps < 1:
        raise InvalidInput("steps must be a positive number", field="steps")
    if steps >= len(history):
        raise InvalidInput(
            f'tag "{tag}" has {len(history)} history entries; cannot roll back {steps} step(s)',
            field="steps",
        )
    return history[steps]


def _describe_source(tag: Tag) -> str:
    if tag.from_kind == SourceKind.DOCKER_IMAGE:
        return tag.from_name + (" (scheduled)" if tag.scheduled else "")
    if tag.from_kind == SourceKind.IMAGE_STREAM_TAG:
        return tag.from_name
    return ""
