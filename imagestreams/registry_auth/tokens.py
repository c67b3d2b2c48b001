"""Issuing registry tokens: which actions a principal gets on which
repository, decided by the one permission check (imagestreams.access)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings

from imagestreams.access import can, can_view_stream
from imagestreams.models import Project
from imagestreams.models.projects import project_name_validator
from imagestreams.models.streams import stream_name_validator
from imagestreams.services.streams import MAX_REPOSITORY_NAME

SCOPE = re.compile(r"^repository:(?P<name>[^:]+):(?P<actions>[a-z*,]*)$")
# repository path <project>/<stream>; the registry only knows names.
ACTION_RIGHTS = {"pull": "view", "push": "edit", "delete": "admin"}
# The subject of the service's own tokens: usernames cannot contain ":", so
# no user can be mistaken for it in the registry's logs and notifications.
SERVICE_SUBJECT = "system:imagestreams"
SERVICE_ACTIONS = frozenset({"pull", "delete"})
SERVICE_TOKEN_TTL = 60


@dataclass(frozen=True)
class ScopeRequest:
    repository: str
    actions: tuple[str, ...]


def parse_scopes(values: list[str]) -> list[ScopeRequest]:
    """`repository:team/app:pull,push` (unknown scope types are ignored)."""
    requests = []
    for value in values:
        for part in value.split(" "):
            match = SCOPE.match(part)
            if match:
                actions = tuple(a for a in match["actions"].split(",") if a)
                requests.append(ScopeRequest(match["name"], actions))
    return requests


def grant(user, scopes: list[ScopeRequest]) -> list[dict]:
    """The `access` claim: for each requested repository the subset of
    actions the user may do. Nothing for anonymous users, unknown projects,
    or names that are not a repository path."""
    projects = {}
    access = []
    for scope in scopes:
        path = repository_path(scope.repository)
        if path is None:
            continue
        project_name, stream = path
        if project_name not in projects:
            projects[project_name] = Project.objects.filter(name=project_name).first()
        project = projects[project_name]
        allowed = [
            action for action in scope.actions if project and _may(user, project, stream, action)
        ]
        if allowed:
            access.append({"type": "repository", "name": scope.repository, "actions": allowed})
    return access


def repository_path(name: str) -> tuple[str, str] | None:
    """(project, stream) if `name` is a `<project>/<stream>` path a stream can
    have, else None. Matched whole (a regex "$" would let "app\\n" through):
    a name with a NUL, a newline, an empty or a dot-dot part is none."""
    project, sep, stream = name.partition("/")
    if not sep or len(name) > MAX_REPOSITORY_NAME:
        return None
    # An instance holds the compiled pattern; the stubs allow the class default's str.
    if project_name_validator.regex.fullmatch(project) is None:  # type: ignore[union-attr]
        return None
    # An instance holds the compiled pattern; the stubs allow the class default's str.
    if stream_name_validator.regex.fullmatch(stream) is None:  # type: ignore[union-attr]
        return None
    return project, stream


def _may(principal, project: Project, stream: str, action: str) -> bool:
    if action == "pull":
        return can_view_stream(principal, project, stream)
    right = ACTION_RIGHTS.get(action)
    return right is not None and can(principal, project, right)


def service_token(scope: str) -> tuple[str, int] | None:
    """A short-lived token for the service's own requests to the integrated
    registry, signed with the token server's key: no password is involved,
    so nobody can lock the service out by failing to sign in as its user.

    Only what the service does is granted: pulling and deleting manifests of
    a `<project>/<stream>` repository (reading pushes, pruning) and reading
    the catalog (reconciliation); any other scope gets an empty grant. None
    if the key cannot be read (the caller then asks the realm, as for any
    registry).
    """
    try:
        return issue_token(SERVICE_SUBJECT, _service_access(scope), ttl=SERVICE_TOKEN_TTL)
    except (OSError, ValueError):  # no key yet (manage.py registry_keys), or unreadable
        return None


def _service_access(scope: str) -> list[dict]:
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    wanted = {action for action in actions.split(",") if action}
    if kind == "registry" and name == "catalog" and wanted == {"*"}:
        return [{"type": "registry", "name": "catalog", "actions": ["*"]}]
    if kind == "repository" and repository_path(name) and wanted <= SERVICE_ACTIONS:
        return [{"type": "repository", "name": name, "actions": sorted(wanted)}]
    return []


def issue_token(subject: str, access: list[dict], *, ttl: int | None = None) -> tuple[str, int]:
    """A JWT that Distribution 2.8 accepts (string `aud`, integer times, libtrust kid)."""
    from imagestreams.registry_auth.keys import load_signing_key

    key, kid = load_signing_key(settings.REGISTRY_TOKEN_KEY_FILE)
    now = int(time.time())
    ttl = ttl or settings.REGISTRY_TOKEN_TTL
    claims = {
        "iss": settings.REGISTRY_TOKEN_ISSUER,
        "sub": subject,
        "aud": settings.REGISTRY_TOKEN_SERVICE,
        "iat": now,
        "nbf": now - 5,
        "exp": now + ttl,
        "jti": secrets.token_hex(16),
        "access": access,
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid}), ttl
