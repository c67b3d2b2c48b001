"""Tag history with OpenShift's rules (AddTagEventToImageStream and
UpdateTrackingTags): the one place where history entries are written."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils import timezone

from imagestreams.models import Image, ImageStream, Tag, TagEvent
from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.services.changes import tag_change_record, tag_changes_record_first


@dataclass(frozen=True)
class NewEvent:
    reference: str
    image: Image | None
    generation: int
    cause: str
    actor: str = ""


class HistoryChange(enum.Enum):
    NONE = "none"
    GENERATION = "generation"  # same image and reference, newer generation
    UPDATED = "updated"  # head rewritten in place (reference or image changed)
    PREPENDED = "prepended"  # a new current entry

    @property
    def moved(self) -> bool:
        """True when consumers see a different pull spec or image."""
        return self in (HistoryChange.UPDATED, HistoryChange.PREPENDED)


def tag_head(tag: Tag) -> TagEvent | None:
    return tag.events.select_related("image").first()


def tag_add_event(tag: Tag, event: NewEvent) -> HistoryChange:
    """Apply one event to a tag's history (the stream must be locked).

    A new entry is prepended only when both the reference and the image differ
    from the current one; if only one differs the current entry is updated in
    place. Any change clears the tag's import condition.
    """
    head = tag_head(tag)
    change = _apply(tag, head, event)
    if change.moved:
        _announce_move(tag, head, event)
    if change is not HistoryChange.NONE and tag.has_condition:
        Tag.objects.filter(pk=tag.pk).update(
            condition_reason="", condition_message="", condition_generation=0, condition_time=None
        )
        tag.condition_reason = tag.condition_message = ""
        tag.condition_generation, tag.condition_time = 0, None
    return change


def _announce_move(tag: Tag, previous: TagEvent | None, event: NewEvent) -> None:
    """The change feed is written in this transaction, whatever moved the tag
    (import, push, tag, alias, rollback)."""
    head = tag_head(tag)
    assert head is not None  # the move just gave the tag a current entry
    tag_change_record(
        tag=tag, previous=previous, current=head, cause=event.cause, actor=event.actor
    )


def _apply(tag: Tag, head: TagEvent | None, event: NewEvent) -> HistoryChange:
    if head is None:
        _create(tag, event)
        return HistoryChange.PREPENDED
    same_reference = head.docker_image_reference == event.reference
    same_image = head.image_id == (event.image.pk if event.image else None)
    if same_reference and same_image:
        if head.generation == event.generation:
            return HistoryChange.NONE
        TagEvent.objects.filter(pk=head.pk).update(generation=event.generation)
        return HistoryChange.GENERATION
    if same_reference or same_image:
        TagEvent.objects.filter(pk=head.pk).update(
            docker_image_reference=event.reference,
            image=event.image,
            generation=event.generation,
        )
        return HistoryChange.UPDATED
    _create(tag, event)
    return HistoryChange.PREPENDED


def _create(tag: Tag, event: NewEvent) -> TagEvent:
    return TagEvent.objects.create(
        tag=tag,
        created=timezone.now(),
        docker_image_reference=event.reference,
        image=event.image,
        generation=event.generation,
        cause=event.cause,
        actor=event.actor,
    )


def tags_start_history(entries: list[tuple[Tag, NewEvent]]) -> list[TagEvent]:
    """`tag_add_event` for many tags that have no history entry, no import
    condition and no alias following them (new tags of a bulk import; the
    stream locked): each gets its first entry, prepended, and its change is
    recorded, in a few statements whatever the number of tags."""
    now = timezone.now()
    heads = TagEvent.objects.bulk_create(
        [
            TagEvent(
                tag=tag,
                created=now,
                docker_image_reference=event.reference,
                image=event.image,
                generation=event.generation,
                cause=event.cause,
                actor=event.actor,
            )
            for tag, event in entries
        ],
        batch_size=BULK_BATCH,
    )
    moves = zip(entries, heads, strict=True)
    tag_changes_record_first([(tag, head, e.cause, e.actor) for (tag, e), head in moves])
    return heads


BULK_BATCH = 500


def tag_add_event_and_follow(tag: Tag, event: NewEvent) -> list[tuple[Tag, HistoryChange]]:
    """Add an event, then propagate it to every alias of the tag (transitively).

    Returns each tag whose history changed, the tag itself first.
    """
    changes: list[tuple[Tag, HistoryChange]] = []
    change = tag_add_event(tag, event)
    if change is HistoryChange.NONE:
        return changes
    changes.append((tag, change))
    visited = {tag.pk}
    pending = [tag]
    while pending:
        source = pending.pop()
        for follower in aliases_of(source):
            if follower.pk in visited:
                continue
            visited.add(follower.pk)
            followed = NewEvent(
                reference=event.reference,
                image=event.image,
                generation=follower.generation,
                cause=EventCause.ALIAS,
                actor=event.actor,
            )
            follower_change = tag_add_event(follower, followed)
            if follower_change is not HistoryChange.NONE:
                changes.append((follower, follower_change))
                pending.append(follower)
    return changes


def aliases_of(tag: Tag) -> list[Tag]:
    """Spec tags of the same stream that track `tag` (`<tag>` or `<stream>:<tag>`)."""
    stream: ImageStream = tag.stream
    candidates = Tag.objects.filter(
        stream_id=tag.stream_id,
        from_kind=SourceKind.IMAGE_STREAM_TAG,
        from_name__in=[tag.name, f"{stream.name}:{tag.name}"],
        from_namespace__in=["", stream.project.name],
    ).exclude(pk=tag.pk)
    return list(candidates.select_related("stream__project"))
