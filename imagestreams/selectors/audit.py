"""Reads of a project's audit log: filtered, newest first, and exported as
CSV or JSON lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from imagestreams.models import AuditEvent, Project

# Where a change came from (imagestreams.access.Principal.interface). "cli" is
# what entries written before "api (isctl)" say (kept so they can be found).
INTERFACES = ("web", "api", "api (isctl)", "admin", "task", "command", "registry", "cli")
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
EXPORT_COLUMNS = ("id", "created", "actor", "interface", "action", "target", "before", "after")
# Spreadsheets run cells starting with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilters:
    """`action` matches exactly or as a prefix (`member` keeps `member.set`
    and `member.remove`); `target` matches any part; `since` is inclusive,
    `until` exclusive."""

    action: str = ""
    actor: str = ""
    interface: str = ""
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return any(value not in ("", None) for value in self.__dict__.values())


def audit_events(*, project: Project, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    filters = filters or AuditFilters()
    events = AuditEvent.objects.filter(project=project)
    if filters.action:
        action = filters.action.strip().rstrip(".")
        events = events.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if filters.actor:
        events = events.filter(actor=filters.actor.strip())
    if filters.interface:
        events = events.filter(interface=filters.interface)
    if filters.target:
        events = events.filter(target__icontains=filters.target.strip())
    if filters.since:
        events = events.filter(created__gte=filters.since)
    if filters.until:
        events = events.filter(created__lt=filters.until)
    return events.order_by("-id")


def _facts(event: AuditEvent) -> dict:
    return {
        "id": event.pk,
        "created": event.created.isoformat(),
        "actor": event.actor,
        "interface": event.interface,
        "action": event.action,
        "target": event.target,
        "before": event.before,
        "after": event.after,
    }


class _Echo:
    """A file-like object whose write() returns the line, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)
    if value is None:
        text = ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def audit_export_lines(events: QuerySet[AuditEvent], fmt: str) -> Iterator[str]:
    """The events as CSV (with a header) or JSON lines, read in chunks so that
    a long log is streamed, not loaded at once."""
    rows: Iterable[AuditEvent] = events.iterator(chunk_size=500)
    if fmt == "jsonl":
        for event in rows:
            yield json.dumps(_facts(event), sort_keys=True) + "\n"
        return
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for event in rows:
        facts = _facts(event)
        yield writer.writerow([_cell(facts[column]) for column in EXPORT_COLUMNS])
