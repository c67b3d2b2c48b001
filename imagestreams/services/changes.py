"""The change feed: every move of a tag's current image is recorded in the
transaction that changed the tag's history, then announced to consumers."""

from __future__ import annotations

from imagestreams.models import Tag, TagChange, TagEvent
from imagestreams.selectors.tags import pull_spec_for
from imagestreams.signals import tag_changed, tag_changes_recorded


def tag_change_record(
    *, tag: Tag, previous: TagEvent | None, current: TagEvent, cause: str, actor: str = ""
) -> TagChange:
    """Record that `tag` moved from `previous` to `current` and tell consumers.

    Called by the history service with the stream locked; a concurrent writer
    that computed the same change fails on the (tag, serial) constraint and
    its whole transaction, history included, rolls back.
    """
    stream = tag.stream
    last_serial = (
        TagChange.objects.filter(tag=tag).order_by("-serial").values_list("serial", flat=True)
    ).first()
    change = TagChange.objects.create(
        tag=tag,
        serial=(last_serial or 0) + 1,
        project_name=stream.project.name,
        stream_name=stream.name,
        tag_name=tag.name,
        previous_digest=previous.digest if previous else "",
        digest=current.digest,
        pull_spec=pull_spec_for(tag, current),
        cause=cause,
        actor=actor,
    )
    tag_changed.send(sender=TagChange, change=change)
    return change


def tag_changes_record_first(moves: list[tuple[Tag, TagEvent, str, str]]) -> list[TagChange]:
    """`tag_change_record` for tags that had no history before `current`
    (tag, current, cause, actor), in one statement, announced together."""
    changes = TagChange.objects.bulk_create(
        [
            TagChange(
                tag=tag,
                serial=1,
                project_name=tag.stream.project.name,
                stream_name=tag.stream.name,
                tag_name=tag.name,
                previous_digest="",
                digest=current.digest,
                pull_spec=pull_spec_for(tag, current),
                cause=cause,
                actor=actor,
            )
            for tag, current, cause, actor in moves
        ],
        batch_size=500,
    )
    tag_changes_recorded.send(sender=TagChange, changes=changes)
    return changes
