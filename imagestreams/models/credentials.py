from __future__ import annotations

from django.db import models

from imagestreams import crypto
from imagestreams.models.projects import Project


class RegistryCredential(models.Model):
    """Credentials a project uses to import from a private registry.

    The password is encrypted at rest and never shown again after saving.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="credentials")
    registry = models.CharField(
        max_length=255, help_text="Registry host with its port if not standard, e.g. quay.io."
    )
    username = models.CharField(max_length=255)
    password_encrypted = models.TextField(editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "registry"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "registry"], name="unique_credential_per_registry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.registry}"

    def set_password(self, password: str) -> None:
        self.password_encrypted = crypto.encrypt(password)

    def get_password(self) -> str:
        return crypto.decrypt(self.password_encrypted)
