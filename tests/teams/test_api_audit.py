"""The audit log through the API: who and through which interface, filters,
export, and never a secret."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.models import AuditEvent

pytestmark = pytest.mark.django_db
BASE = "/api/v1/projects/team"


@pytest.fixture
def admin(api_for, personas, team):
    return api_for(personas["admin"])


def newest(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_an_api_call_is_recorded_with_its_actor_and_interface(admin):
    admin.put(f"{BASE}/members/outsider", {"role": "viewer"}, format="json")
    event = newest("member.set")
    assert (event.actor, event.interface, event.target) == ("admin", "api", "outsider")
    assert (event.before, event.after) == (None, {"role": "viewer"})
    assert event.project.name == "team" and event.project_name == "team"


def test_isctl_calls_are_recorded_as_api_calls_claiming_isctl(api_for, personas, team):
    """Anyone can send an isctl User-Agent: the log says what is known, an
    API call, and what the client claims, never "cli" as if it were proven."""
    isctl = api_for(personas["editor"], user_agent="isctl/0.1.0 (python-httpx)")
    assert isctl.post(f"{BASE}/imagestreams", {"name": "ruby"}, format="json").status_code == 201
    event = newest("stream.create")
    assert (event.actor, event.interface, event.target) == ("editor", "api (isctl)", "ruby")


def test_service_accounts_are_recorded_by_name(api_for, service_account):
    _, secret = service_account
    api_for(secret=secret).post(f"{BASE}/imagestreams", {"name": "ruby"}, format="json")
    assert newest("stream.create").actor == "serviceaccount:team:ci"


def test_a_refused_change_records_nothing(admin):
    before = AuditEvent.objects.count()
    assert admin.put(f"{BASE}/members/admin", {"role": "viewer"}, format="json").status_code == 409
    assert AuditEvent.objects.count() == before


@pytest.fixture
def history(admin, api_for, personas):
    """A few entries: stream.create by admin (api) and editor (api (isctl)), a member
    change, and the project's creation; the oldest made 10 days old."""
    admin.post(f"{BASE}/imagestreams", {"name": "ruby"}, format="json")
    isctl = api_for(personas["editor"], user_agent="isctl/0.1.0")
    isctl.post(f"{BASE}/imagestreams", {"name": "perl"}, format="json")
    admin.put(f"{BASE}/members/outsider", {"role": "viewer"}, format="json")
    old = AuditEvent.objects.filter(project__name="team").order_by("id").first()
    AuditEvent.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=10))
    return old


def actions(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [event["action"] for event in response.json()["results"]]


def test_the_log_is_newest_first_and_paginated(admin, history):
    everything = actions(admin.get(f"{BASE}/audit"))
    assert everything[0] == "member.set" and everything[-1] == "project.create"
    ids = [e["id"] for e in admin.get(f"{BASE}/audit").json()["results"]]
    assert ids == sorted(ids, reverse=True)
    page = admin.get(f"{BASE}/audit", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"] and page["count"] == len(everything)


def test_filters(admin, history):
    assert actions(admin.get(f"{BASE}/audit", {"action": "stream"})) == [
        "stream.create",
        "stream.create",
    ]
    assert actions(admin.get(f"{BASE}/audit", {"action": "stream.create", "actor": "editor"})) == [
        "stream.create"
    ]
    assert actions(admin.get(f"{BASE}/audit", {"interface": "api (isctl)"})) == ["stream.create"]
    assert actions(admin.get(f"{BASE}/audit", {"target": "PER"})) == ["stream.create"]
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()
    assert "project.create" not in actions(admin.get(f"{BASE}/audit", {"since": week_ago}))
    assert actions(admin.get(f"{BASE}/audit", {"until": week_ago})) == ["project.create"]


def test_bad_filters_are_refused(admin):
    bad = admin.get(f"{BASE}/audit", {"interface": "email"})
    assert bad.status_code == 400 and bad.json()["field"] == "interface"
    assert admin.get(f"{BASE}/audit", {"since": "yesterday"}).json()["field"] == "since"


def test_the_export_is_a_csv_of_the_filtered_log(admin, history):
    response = admin.get(f"{BASE}/audit/export", {"action": "stream"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="team-audit.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["action"], r["actor"], r["interface"], r["target"]) for r in rows] == [
        ("stream.create", "editor", "api (isctl)", "perl"),
        ("stream.create", "admin", "api", "ruby"),
    ]


def test_the_export_as_json_lines(admin, history):
    response = admin.get(f"{BASE}/audit/export", {"format": "jsonl", "action": "member"})
    assert response["Content-Type"] == "application/x-ndjson"
    [line] = b"".join(response.streaming_content).decode().splitlines()
    event = json.loads(line)
    assert (event["action"], event["after"], event["before"]) == (
        "member.set",
        {"role": "viewer"},
        None,
    )


def test_an_unknown_export_format_is_a_json_400(admin):
    response = admin.get(f"{BASE}/audit/export", {"format": "xlsx"})
    assert response.status_code == 400
    assert response.json()["field"] == "format"


def test_spreadsheet_formulas_are_neutralised_in_the_csv(admin, team):
    AuditEvent.objects.create(project=team, actor="=HYPERLINK(1)", action="x.y", target="@cmd")
    response = admin.get(f"{BASE}/audit/export", {"action": "x"})
    [row] = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert (row["actor"], row["target"]) == ("'=HYPERLINK(1)", "'@cmd")
