from __future__ import annotations

from django.apps import AppConfig


class ImageStreamsConfig(AppConfig):
    name = "imagestreams"
    verbose_name = "Image streams"
    default_auto_field = "django.db.models.BigAutoField"
