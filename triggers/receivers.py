"""What the triggers app listens to in the core (connected in TriggersConfig.ready)."""

from __future__ import annotations

from imagestreams.models import TagChange
from triggers.services.fanout import tag_change_announced, tag_changes_announced


def on_tag_changed(sender: type[TagChange], change: TagChange, **kwargs: object) -> None:
    tag_change_announced(change)


def on_tag_changes_recorded(
    sender: type[TagChange], changes: list[TagChange], **kwargs: object
) -> None:
    tag_changes_announced(changes)
