"""Projects: what each caller sees, and creating one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from imagestreams.access import can
from imagestreams.models import Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200
    return [p["name"] for p in response.json()["results"]]


def test_members_see_their_projects_and_their_role(viewer_api, outsider_api, team):
    ProjectFactory(name="elsewhere")
    [project] = viewer_api.get("/api/v1/projects").json()["results"]
    assert project == {
        "name": "team",
        "display_name": "Team",
        "description": "",
        "role": "viewer",
        "created": project["created"],
    }
    assert names(outsider_api.get("/api/v1/projects")) == []


def test_superusers_see_every_project_as_admin(team):
    ProjectFactory(name="elsewhere")
    operator = get_user_model().objects.create_superuser("root", password="x")
    client = APIClient()
    client.force_authenticate(operator)
    results = client.get("/api/v1/projects").json()["results"]
    assert [(p["name"], p["role"]) for p in results] == [("elsewhere", "admin"), ("team", "admin")]


def test_search_filters_by_name(admin_api, personas):
    for name in ("web-shop", "web-blog", "batch"):
        admin_api.post("/api/v1/projects", {"name": name})
    assert names(admin_api.get("/api/v1/projects?search=WEB")) == ["web-blog", "web-shop"]


def test_the_creator_of_a_project_is_its_admin(outsider_api, personas):
    response = outsider_api.post(
        "/api/v1/projects", {"name": "mine", "display_name": "Mine", "description": "ours"}
    )
    assert response.status_code == 201
    assert response.json()["role"] == "admin"
    assert can(personas["outsider"], Project.objects.get(name="mine"), "admin")
    assert outsider_api.get("/api/v1/projects/mine").json()["display_name"] == "Mine"


def test_project_names_are_validated_and_unique(outsider_api, team):
    bad = outsider_api.post("/api/v1/projects", {"name": "Not Valid"})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith('invalid project name "Not Valid"')
    taken = outsider_api.post("/api/v1/projects", {"name": "team"})
    assert taken.status_code == 409
    assert taken.json() == {
        "detail": 'project "team" already exists',
        "code": "conflict",
        "field": "name",
    }


def test_lists_paginate(admin_api, personas):
    for number in range(3):
        admin_api.post("/api/v1/projects", {"name": f"p{number}"})
    page = admin_api.get("/api/v1/projects?page_size=2").json()
    assert (page["count"], len(page["results"])) == (4, 2)
    assert page["next"].endswith("page=2&page_size=2")
    assert names(admin_api.get("/api/v1/projects?page_size=2&page=2")) == ["p2", "team"]
