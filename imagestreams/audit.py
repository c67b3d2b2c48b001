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
    interface: str  # web, api, cli, admin, task, command, registry


SYSTEM = Actor(name="system", interface="task")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


@contextlib.contextmanager
def acting_as(name: str, interface: str) -> Iterator[Actor]:
    token = _current.set(Actor(name=name, interface=interface))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    return _current.get()


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

    actor = _current.get()
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
