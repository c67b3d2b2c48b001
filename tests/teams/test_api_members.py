"""Members and service accounts through the API (project admins only)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.models import ApiToken, Membership

pytestmark = pytest.mark.django_db
BASE = "/api/v1/projects/team"


@pytest.fixture
def admin(api_for, personas, team):
    return api_for(personas["admin"])


def test_admins_list_members_with_their_roles(admin):
    response = admin.get(f"{BASE}/members")
    assert response.status_code == 200
    rows = [(m["username"], m["role"]) for m in response.json()["results"]]
    assert rows == [("admin", "admin"), ("editor", "editor"), ("viewer", "viewer")]


def test_put_adds_a_member_and_changes_a_role(admin, personas):
    added = admin.put(f"{BASE}/members/outsider", {"role": "editor"}, format="json")
    assert added.status_code == 200
    assert added.json()["username"] == "outsider" and added.json()["role"] == "editor"
    changed = admin.put(f"{BASE}/members/outsider", {"role": "viewer"}, format="json")
    assert changed.json()["role"] == "viewer"
    assert Membership.objects.get(user=personas["outsider"]).role == "viewer"


def test_bad_input_is_refused_with_a_clear_message(admin):
    bad_role = admin.put(f"{BASE}/members/outsider", {"role": "owner"}, format="json")
    assert bad_role.status_code == 400
    assert bad_role.json()["field"] == "role"
    nobody = admin.put(f"{BASE}/members/nobody", {"role": "viewer"}, format="json")
    assert nobody.status_code == 404
    assert nobody.json()["detail"] == 'user "nobody" not found'
    not_member = admin.delete(f"{BASE}/members/outsider")
    assert not_member.status_code == 404
    assert "is not a member" in not_member.json()["detail"]


def test_the_last_admin_can_be_neither_demoted_nor_removed(admin):
    demoted = admin.put(f"{BASE}/members/admin", {"role": "viewer"}, format="json")
    assert demoted.status_code == 409
    assert "must keep at least one admin" in demoted.json()["detail"]
    assert admin.delete(f"{BASE}/members/admin").status_code == 409
    assert admin.put(f"{BASE}/members/editor", {"role": "admin"}, format="json").status_code == 200
    assert admin.delete(f"{BASE}/members/admin").status_code == 204


def test_a_removed_member_loses_access(admin, api_for, personas):
    viewer = api_for(personas["viewer"])
    assert viewer.get(f"{BASE}/imagestreams").status_code == 200
    assert admin.delete(f"{BASE}/members/viewer").status_code == 204
    assert viewer.get(f"{BASE}/imagestreams").status_code == 404


def test_service_accounts_are_created_listed_changed_and_deleted(admin):
    created = admin.post(
        f"{BASE}/serviceaccounts",
        {"name": "deployer", "role": "editor", "description": "prod"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["username"] == "serviceaccount:team:deployer"
    assert admin.get(f"{BASE}/serviceaccounts").json()["results"][0]["name"] == "deployer"
    patched = admin.patch(f"{BASE}/serviceaccounts/deployer", {"role": "viewer"}, format="json")
    assert patched.json()["role"] == "viewer"
    assert admin.delete(f"{BASE}/serviceaccounts/deployer").status_code == 204
    assert admin.get(f"{BASE}/serviceaccounts/deployer").status_code == 404


def test_service_account_names_and_duplicates_are_checked(admin):
    bad = admin.post(f"{BASE}/serviceaccounts", {"name": "Bad Name"}, format="json")
    assert bad.status_code == 400
    assert "invalid service account name" in bad.json()["detail"]
    assert admin.post(f"{BASE}/serviceaccounts", {"name": "ci"}, format="json").status_code == 201
    again = admin.post(f"{BASE}/serviceaccounts", {"name": "ci"}, format="json")
    assert again.status_code == 409


def test_a_token_is_shown_once_and_acts_with_the_account_role(admin, api_for):
    admin.post(f"{BASE}/serviceaccounts", {"name": "ci", "role": "editor"}, format="json")
    created = admin.post(
        f"{BASE}/serviceaccounts/ci/tokens", {"name": "pipeline", "expires_in_days": 30}, "json"
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("isk_") and created.json()["expires_at"]
    listed = admin.get(f"{BASE}/serviceaccounts/ci/tokens").json()["results"]
    assert [t["name"] for t in listed] == ["pipeline"]
    assert "token" not in listed[0] and secret not in str(listed)

    robot = api_for(secret=secret)
    assert robot.get("/api/v1/whoami").json()["username"] == "serviceaccount:team:ci"
    assert robot.post(f"{BASE}/imagestreams", {"name": "ruby"}, format="json").status_code == 201
    assert robot.get(f"{BASE}/members").status_code == 403  # editor, not admin
    assert ApiToken.objects.get(name="pipeline").last_used_at is not None

    token_id = listed[0]["id"]
    assert admin.delete(f"{BASE}/serviceaccounts/ci/tokens/{token_id}").status_code == 204
    refused = robot.get("/api/v1/whoami")
    assert refused.status_code == 401
    assert "was revoked" in refused.json()["detail"]
    assert admin.delete(f"{BASE}/serviceaccounts/ci/tokens/{token_id}").status_code == 404


def test_a_changed_role_applies_to_the_next_request(admin, api_for, service_account):
    _, secret = service_account
    robot = api_for(secret=secret)
    assert robot.post(f"{BASE}/imagestreams", {"name": "ruby"}, format="json").status_code == 201
    admin.patch(f"{BASE}/serviceaccounts/ci", {"role": "viewer"}, format="json")
    assert robot.post(f"{BASE}/imagestreams", {"name": "perl"}, format="json").status_code == 403
    assert robot.get(f"{BASE}/imagestreams").status_code == 200


def test_a_service_account_sees_only_its_project(api_for, service_account, personas):
    _, secret = service_account
    robot = api_for(secret=secret)
    listed = robot.get("/api/v1/projects").json()["results"]
    assert [(p["name"], p["role"]) for p in listed] == [("team", "editor")]


def test_a_service_account_may_not_create_projects_or_user_tokens(api_for, service_account):
    _, secret = service_account
    robot = api_for(secret=secret)
    project = robot.post("/api/v1/projects", {"name": "mine"}, format="json")
    assert project.status_code == 403
    assert project.json()["detail"].startswith("a service account may not create projects")
    token = robot.post("/api/v1/tokens", {"name": "more"}, format="json")
    assert token.status_code == 403
    assert "may not create tokens of a user" in token.json()["detail"]
    assert get_user_model().objects.filter(username__startswith="serviceaccount").count() == 0
