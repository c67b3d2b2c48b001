"""The audit log page: newest first, filters, pagination, CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import AuditEvent
from imagestreams.services.streams import stream_create
from tests.teams.world import HTMX, page_text

pytestmark = pytest.mark.django_db
AUDIT = "/p/team/audit/"


@pytest.fixture
def admin(web_as, personas, team):
    return web_as(personas["admin"])


def row_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="audit-(\d+)"', page)]


def test_a_web_form_is_recorded_as_web_and_shown_newest_first(admin):
    admin.post("/p/team/streams/new", {"name": "ruby"})
    admin.post("/p/team/members/", {"username": "outsider", "role": "viewer"})
    page = page_text(admin.get(AUDIT))
    ids = row_ids(page)
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    newest = AuditEvent.objects.get(pk=ids[0])
    assert (newest.action, newest.actor, newest.interface) == ("member.set", "admin", "web")
    assert "stream.create" in page and "role: viewer" in page


def test_filters_narrow_the_table(admin, team):
    stream_create(by=acting_system("task", "robot"), project=team, name="ruby")
    admin.post("/p/team/streams/new", {"name": "perl"})
    query = {"interface": "task", "actor": "robot"}
    only_tasks = page_text(admin.get(AUDIT, query, headers=HTMX))
    assert only_tasks.lstrip().startswith('<section id="audit-table"')
    assert len(row_ids(only_tasks)) == 1 and "robot" in only_tasks
    by_action = page_text(admin.get(AUDIT, {"action": "stream", "target": "PERL"}))
    assert len(row_ids(by_action)) == 1 and "1 entry match" in by_action
    nothing = page_text(admin.get(AUDIT, {"actor": "nobody"}))
    assert "No entry matches." in nothing


def test_day_filters_are_whole_days(admin, team):
    first = AuditEvent.objects.get(action="project.create")
    AuditEvent.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(days=3))
    admin.post("/p/team/streams/new", {"name": "ruby"})
    today = timezone.localdate().isoformat()
    assert first.pk not in row_ids(page_text(admin.get(AUDIT, {"since": today})))
    assert row_ids(page_text(admin.get(AUDIT, {"until": today}))) == [
        e.pk for e in AuditEvent.objects.filter(project=team).order_by("-id")
    ]
    three_days_ago = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert row_ids(page_text(admin.get(AUDIT, {"until": three_days_ago}))) == [first.pk]
    bad = page_text(admin.get(AUDIT, {"since": "last week"}))
    assert "Enter a valid date." in bad


def test_the_table_is_paginated(admin, team):
    for n in range(55):
        AuditEvent.objects.create(project=team, actor="bot", action="x.bulk", target=f"t{n}")
    first = page_text(admin.get(AUDIT, {"action": "x"}))
    assert len(row_ids(first)) == 50 and "Page 1 of 2" in first
    assert 'href="?action=x&page=2"' in first
    second = page_text(admin.get(AUDIT, {"action": "x", "page": "2"}))
    assert len(row_ids(second)) == 5


def test_the_export_link_keeps_the_filters(admin, team):
    admin.post("/p/team/streams/new", {"name": "ruby"})
    page = page_text(admin.get(AUDIT, {"action": "stream"}))
    assert 'href="/p/team/audit/export?action=stream"' in page
    response = admin.get("/p/team/audit/export", {"action": "stream"})
    assert response["Content-Disposition"] == 'attachment; filename="team-audit.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["action"], r["actor"], r["interface"], r["target"]) for r in rows] == [
        ("stream.create", "admin", "web", "ruby")
    ]
