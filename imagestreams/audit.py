"""The audit log: every change is recorded by the service that makes it,
naming the principal the service was given (`by`)."""

from __future__ import annotations

from imagestreams.access import SYSTEM, Principal
from imagestreams.models import Project


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
    from imagestreams.models.teams import AuditEvent

    AuditEvent.objects.create(
        project=project,
        project_name=project.name if project else "",
        actor=by.name or SYSTEM.username,
        interface=by.interface,
        action=action,
        target=target,
        before=before,
        after=after,
    )


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
        [
            AuditEvent(
                project=project,
                project_name=project.name if project else "",
                actor=by.name or SYSTEM.username,
                interface=by.interface,
                action=action,
                target=target,
                before=before,
                after=after,
            )
            for action, target, before, after in entries
        ],
        batch_size=500,
    )
