from __future__ import annotations

from django.apps import AppConfig


class TriggersConfig(AppConfig):
    """Webhooks called when a watched tag moves: a consumer of the core's
    change feed. The core (imagestreams) never imports this app."""

    name = "triggers"
    verbose_name = "Triggers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from imagestreams.operations.collector import register_gauges
        from imagestreams.signals import tag_changed, tag_changes_recorded
        from imagestreams.web.panels import register_stream_panel
        from triggers.metrics import delivery_gauges
        from triggers.receivers import on_tag_changed, on_tag_changes_recorded
        from triggers.web.panels import stream_triggers_panel

        tag_changed.connect(on_tag_changed, dispatch_uid="triggers.fan_out")
        tag_changes_recorded.connect(on_tag_changes_recorded, dispatch_uid="triggers.fan_out_many")
        register_gauges(delivery_gauges)
        register_stream_panel(stream_triggers_panel)
