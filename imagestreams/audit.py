"""The audit log: every change is recorded by the service that makes it,
naming the principal the service was given (`by`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagestreams.access import SYSTEM, Principal
from imagestreams.models import Project

if TYPE_CHECKING:
    from imagestreams.models.teams import AuditEvent


def record(
    action: str,
    *,
    by: Principal,
    project: Project | None,
    target: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Write one audit entry (inside the caller's transaction, so a change
    that is rolled back leaves no entry either)."""
    _entry(by, project, action, target, before, after).save()


def record_many(
    *,
    by: Principal,
    project: Project | None,
    entries: list[tuple[str, str, dict | None, dict | None]],
) -> None:
    """`record` for many entries in one statement, in their order:
    `entries` are (action, target, before, after)."""
    from imagestreams.models.teams import AuditEvent

    AuditEvent.objects.bulk_create(
        [_entry(by, project, *entry) for entry in entries],
        batch_size=500,
    )


def _entry(
    by: Principal,
    project: Project | None,
    action: str,
    target: str,
    before: dict | None,
    after: dict | None,
) -> AuditEvent:
    from imagestreams.models.teams import AuditEvent

    return AuditEvent(
        project=project,
        project_name=project.name if project else "",
        actor=by.name or SYSTEM.username,
        interface=by.interface,
        action=action,
        target=target,
        before=before,
        after=after,
    )
