"""Extra facts on a stream's page contributed by other apps.

The core never imports the apps built on it (tests/test_boundaries.py): an
app such as `triggers` registers a function here in its AppConfig.ready, and
the stream page shows what it returns next to the core's own facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imagestreams.models import ImageStream


@dataclass(frozen=True)
class StreamPanel:
    """One fact of the stream summary: `Triggers: 2 (deploy, notify)`, with a link."""

    label: str
    value: str
    url: str = ""
    link_text: str = ""


# (stream, perms) -> a panel, or None when there is nothing to show to this person.
PanelSource = Callable[[ImageStream, object], StreamPanel | None]
_sources: list[PanelSource] = []


def register_stream_panel(source: PanelSource) -> None:
    if source not in _sources:
        _sources.append(source)


def stream_panels(stream: ImageStream, perms: object) -> list[StreamPanel]:
    panels = (source(stream, perms) for source in _sources)
    return [panel for panel in panels if panel is not None]
