"""A tag's history as a timeline: which entries exist, which is current, and
which ones a rollback can go back to."""

from __future__ import annotations

from dataclasses import dataclass

from imagestreams.models import Tag, TagEvent
from imagestreams.selectors.tag_rows import HEAVY_IMAGE_FIELDS

DEFAULT_TIMELINE_LENGTH = 50


@dataclass(frozen=True)
class TimelineEntry:
    event: TagEvent
    position: int  # 0 is the current image
    can_roll_back: bool

    @property
    def is_current(self) -> bool:
        return self.position == 0

    @property
    def actor(self) -> str:
        return self.event.actor or "system"


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.entries)

    @property
    def current(self) -> TagEvent | None:
        return self.entries[0].event if self.entries else None


def tag_timeline(*, tag: Tag, limit: int | None = DEFAULT_TIMELINE_LENGTH) -> Timeline:
    """Newest first. An entry can be rolled back to when it has an image that
    is not the current one (rolling back to the current image is refused)."""
    events = tag.events.select_related("image").defer(*HEAVY_IMAGE_FIELDS)
    total = tag.events.count()
    shown = list(events if limit is None else events[:limit])
    current_image = shown[0].image_id if shown else None
    entries = [
        TimelineEntry(
            event=event,
            position=position,
            can_roll_back=event.image_id is not None and event.image_id != current_image,
        )
        for position, event in enumerate(shown)
    ]
    return Timeline(entries=entries, total=total)
