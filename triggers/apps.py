from __future__ import annotations

from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "triggers"
    verbose_name = "Triggers and registry pushes"
    default_auto_field = "django.db.models.BigAutoField"
