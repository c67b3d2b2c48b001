"""Sharing through the API: granting, what receivers see (read-only), and
revoking without breaking tags already made."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.models import Share
from tests.factories import StreamFactory
from tests.teams.world import NEW, add_service_account

pytestmark = pytest.mark.django_db
BASE = "/api/v1/projects/team"


@pytest.fixture
def admin(api_for, personas, team):
    return api_for(personas["admin"])


def test_admins_grant_list_and_revoke_shares(admin, python, partner):
    _, _, existing = partner
    granted = admin.post(f"{BASE}/shares", {"target_user": "outsider"}, format="json")
    assert granted.status_code == 201
    body = granted.json()
    assert (body["stream"], body["target_user"], body["target_project"]) == (None, "outsider", None)
    assert body["created_by"] == "admin"
    listed = admin.get(f"{BASE}/shares").json()["results"]
    assert [(s["stream"], s["target_project"], s["target_user"]) for s in listed] == [
        (None, None, "outsider"),
        ("python", "partner", None),
    ]
    assert admin.delete(f"{BASE}/shares/{existing.pk}").status_code == 204
    assert admin.delete(f"{BASE}/shares/{existing.pk}").status_code == 404
    assert list(Share.objects.values_list("target_user__username", flat=True)) == ["outsider"]


def test_granting_the_same_share_twice_keeps_one(admin, python, partner):
    again = admin.post(
        f"{BASE}/shares", {"stream": "python", "target_project": "partner"}, format="json"
    )
    assert again.status_code == 201
    assert Share.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "share with either a project or a user"),
        ({"target_project": "partner", "target_user": "outsider"}, 400, "either a project"),
        ({"target_project": "nowhere"}, 404, 'project "nowhere" not found'),
        ({"target_user": "nobody"}, 404, 'user "nobody" not found'),
        ({"target_project": "team"}, 400, "already sees its own streams"),
        ({"target_user": "outsider", "stream": "ruby"}, 404, 'image stream "ruby" not found'),
        ({"target_user": "outsider", "streams": "x"}, 400, "unknown field"),
    ],
)
def test_bad_shares_are_refused_and_nothing_is_written(admin, python, body, status, message):
    response = admin.post(f"{BASE}/shares", body, format="json")
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not Share.objects.exists()


def test_a_shared_stream_is_readable_by_the_receiving_project(api_for, python, partner):
    shared, _, _ = partner
    reader = api_for(shared)
    stream = reader.get(f"{BASE}/imagestreams/python")
    assert stream.status_code == 200
    assert stream.json()["project"] == "team"
    assert reader.get(f"{BASE}/imagestreamtags/python:3.6").json()["image"]["digest"] == NEW
    assert reader.get(f"{BASE}/imagestreamtags/python:3.6/history").status_code == 200
    assert reader.get(f"{BASE}/imagestreamimages/python@{NEW[7:15]}").status_code == 200
    assert reader.get("/api/v1/resolve/team/python:3.6").json()["digest"] == NEW
    # The project itself stays private, and the share is read-only.
    assert reader.get(f"{BASE}/imagestreams").status_code == 404
    assert reader.get(BASE).status_code == 404
    refused = reader.patch(f"{BASE}/imagestreams/python", {"lookup_local": True}, format="json")
    assert refused.status_code == 403
    assert reader.delete(f"{BASE}/imagestreamtags/python:3.6").status_code == 403


def test_streams_not_shared_stay_hidden(api_for, python, partner):
    StreamFactory(project=python.stream.project, name="secret")
    shared, _, _ = partner
    assert api_for(shared).get(f"{BASE}/imagestreams/secret").status_code == 404


def test_shared_streams_are_listed_for_the_project_and_the_user(api_for, personas, python, partner):
    shared, _, _ = partner
    owner = get_user_model().objects.get(username="shared-owner")
    listed = api_for(owner).get("/api/v1/projects/partner/sharedimagestreams").json()
    [stream] = listed["results"]
    assert (stream["project"], stream["name"], stream["read_only"]) == ("team", "python", True)
    assert stream["tags"][0]["name"] == "3.6"
    mine = api_for(shared).get("/api/v1/sharedimagestreams").json()["results"]
    assert [(s["project"], s["name"], s["read_only"]) for s in mine] == [("team", "python", True)]
    # Members of team see their own streams in their project, not as shared.
    assert api_for(personas["viewer"]).get("/api/v1/sharedimagestreams").json()["count"] == 0


def test_tagging_from_a_shared_stream_survives_revoking_it(api_for, admin, python, partner):
    shared, _, share = partner
    owner = get_user_model().objects.get(username="shared-owner")
    partner_admin = api_for(owner)
    body = {"source": "team/python:3.6", "destinations": ["python:3.6"]}
    tagged = partner_admin.post("/api/v1/projects/partner/tag", body, format="json")
    assert tagged.status_code == 200, tagged.content
    assert admin.delete(f"{BASE}/shares/{share.pk}").status_code == 204
    resolved = partner_admin.get("/api/v1/resolve/partner/python:3.6")
    assert resolved.json()["digest"] == NEW
    again = partner_admin.post(
        "/api/v1/projects/partner/tag",
        {"source": "team/python:3.6", "destinations": ["python:again"]},
        format="json",
    )
    assert again.status_code == 404
    assert api_for(shared).get(f"{BASE}/imagestreams/python").status_code == 404


def test_a_service_account_of_the_receiving_project_reads_the_share(api_for, python, partner):
    _, receiving, _ = partner
    _, secret = add_service_account(receiving, role="viewer", name="puller")
    robot = api_for(secret=secret)
    assert robot.get(f"{BASE}/imagestreams/python").status_code == 200
    assert robot.get("/api/v1/projects/partner/sharedimagestreams").json()["count"] == 1
