from __future__ import annotations

from django.apps import AppConfig


class ImageStreamsConfig(AppConfig):
    name = "imagestreams"
    verbose_name = "Image streams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Bind shared tasks to our Celery app (and its Django fixup, which
        # provides delay_on_commit) in every process that runs Django.
        from imagestreams import celery  # noqa: F401
        from imagestreams.freshness import connect_removals

        connect_removals()
