from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

project_name_validator = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "Project names use lowercase letters, digits and '-', start and end with a letter or "
    "digit, and have at most 63 characters.",
)


class Project(models.Model):
    """A namespace for image streams; permissions are granted per project."""

    name = models.CharField(max_length=63, unique=True, validators=[project_name_validator])
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
