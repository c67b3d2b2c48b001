"""The triggers of a stream, on the core's stream page (imagestreams.web.panels)."""

from __future__ import annotations

from django.urls import reverse

from imagestreams.models import ImageStream
from imagestreams.web.panels import StreamPanel
from triggers.selectors import trigger_list


def stream_triggers_panel(stream: ImageStream, perms) -> StreamPanel | None:
    """Only for those who may see triggers: their URLs often carry secrets."""
    if not getattr(perms, "triggers", False):
        return None
    names = list(
        trigger_list(project=stream.project)
        .filter(stream=stream.name)
        .order_by("name")
        .values_list("name", flat=True)
    )
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return StreamPanel(
        label="Triggers",
        value=f"{len(names)} ({shown})" if names else "none",
        url=reverse("triggers:triggers", args=[stream.project.name]),
        link_text="Manage triggers" if names else "Add a trigger",
    )
