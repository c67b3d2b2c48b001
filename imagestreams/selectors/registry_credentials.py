"""Reads of a project's registry credentials, without their secrets."""

from __future__ import annotations

from django.db.models import QuerySet

from imagestreams.models import Project, RegistryCredential


def credentials_list(*, project: Project) -> QuerySet[RegistryCredential]:
    """Registry, username and last change; the encrypted password is not even loaded."""
    return RegistryCredential.objects.filter(project=project).only(
        "project_id", "registry", "username", "updated"
    )
