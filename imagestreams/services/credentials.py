"""Registry credentials of a project, as the registry client asks for them."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import Project, RegistryCredential
from imagestreams.services.errors import Conflict, InvalidInput

DOCKER_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}


def _normalise_host(host: str) -> str:
    host = host.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    return "docker.io" if host in DOCKER_HUB_ALIASES else host


def credential_set(
    *, by: Principal, project: Project, registry: str, username: str, password: str
) -> RegistryCredential:
    """Create or replace the credentials used for `registry` in `project`."""
    host = _normalise_host(registry)
    if not host or "/" in host:
        raise InvalidInput(
            "registry must be a host name with an optional port, e.g. quay.io or "
            "registry.example.com:5000",
            field="registry",
        )
    if not username or not password:
        raise InvalidInput("username and password are both required", field="username")
    try:
        with transaction.atomic():
            credential, _ = RegistryCredential.objects.get_or_create(
                project=project, registry=host, defaults={"username": username}
            )
            credential.username = username
            credential.set_password(password)
            credential.save()
            audit.record(
                "credential.set", by=by, project=project, target=host, after={"username": username}
            )
    except IntegrityError:
        raise Conflict(f"credentials for {host} were changed concurrently; try again") from None
    return credential


def credentials_lookup(project: Project) -> Callable[[str], tuple[str, str] | None]:
    """A function the registry client calls with a registry host."""
    stored = {c.registry: c for c in RegistryCredential.objects.filter(project=project)}

    def lookup(host: str) -> tuple[str, str] | None:
        credential = stored.get(_normalise_host(host))
        if credential is None:
            return None
        return credential.username, credential.get_password()

    return lookup
