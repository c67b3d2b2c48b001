"""Creating, listing and revoking one's API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.access import acting
from imagestreams.services.tokens import token_create

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once(editor_api):
    created = editor_api.post("/api/v1/tokens", {"name": "ci", "expires_in_days": 30})
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith(body["prefix"])
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)
    listed = editor_api.get("/api/v1/tokens").json()["results"]
    assert [t["name"] for t in listed] == ["ci", "editor-tests"]
    assert all("token" not in t for t in listed)


def test_a_user_sees_and_revokes_only_own_tokens(editor_api, viewer_api, personas):
    theirs, _ = token_create(by=acting(personas["viewer"], "task"), name="viewer's")
    assert "viewer's" not in str(editor_api.get("/api/v1/tokens").json())
    response = editor_api.delete(f"/api/v1/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert viewer_api.delete(f"/api/v1/tokens/{theirs.pk}").status_code == 204
    assert viewer_api.delete(f"/api/v1/tokens/{theirs.pk}").status_code == 404
    names = [t["name"] for t in viewer_api.get("/api/v1/tokens").json()["results"]]
    assert names == ["viewer-tests"]


def test_a_revoked_token_stops_working_at_once(editor_api):
    created = editor_api.post("/api/v1/tokens", {"name": "short-lived"}).json()
    editor_api.delete(f"/api/v1/tokens/{created['id']}")
    editor_api.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert editor_api.get("/api/v1/whoami").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 10**30}, "expires_in_days"),
        ({"name": "x", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_bad_token_requests_are_400(editor_api, body, field):
    response = editor_api.post("/api/v1/tokens", body)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_an_absurd_token_id_is_just_not_found(editor_api):
    assert editor_api.delete(f"/api/v1/tokens/{10**30}").status_code == 404
