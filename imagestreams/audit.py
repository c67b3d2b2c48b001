"""The audit log: every change is recorded by the service that makes it.

Interfaces say who is acting and through which interface once (middleware
for HTTP, the task or command wrapper otherwise) with `acting_as`; services
call `record()` without having to pass that along.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from imagestreams.models import Project


@dataclass(frozen=True)
class Actor:
    name: str
    interface: str  # web, api, api (isctl), admin, task, command, registry


SYSTEM = Actor(name="system", interface="task")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)
# The HTTP request being served: who acts is read from it when an entry is
# written, because DRF authenticates tokens after middleware has run.
_request: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "audit_request", default=None
)


# Any client may send any User-Agent: an API call that names isctl is
# recorded as what it surely is, with the client's claim beside it.
ISCTL_CLAIMED = "api (isctl)"


def interface_of(request) -> str:
    path = request.path
    if path.startswith("/api/"):
        agent = request.headers.get("User-Agent", "")
        return ISCTL_CLAIMED if agent.startswith("isctl") else "api"
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith(("/registry/", "/hooks/")):
        return "registry"
    return "web"


class AuditContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextlib.contextmanager
def acting_as(name: str, interface: str) -> Iterator[Actor]:
    token = _current.set(Actor(name=name, interface=interface))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    request = _request.get()
    if request is None:
        return _current.get()
    user = getattr(request, "user", None)
    authenticated = getattr(user, "is_authenticated", False)
    name = user.get_username() if user is not None and authenticated else "anonymous"
    return Actor(name=name, interface=interface_of(request))


def record(
    action: str,
    *,
    project: Project | None,
    target: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Write one audit entry (inside the caller's transaction, so a change
    that is rolled back leaves no entry either)."""
    from imagestreams.models.teams import AuditEvent

    actor = current_actor()
    AuditEvent.objects.create(
        project=project,
        project_name=project.name if project else "",
        actor=actor.name,
        interface=actor.interface,
        action=action,
        target=target,
        before=before,
        after=after,
    )
