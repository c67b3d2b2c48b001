"""pytest plugin: the people of a project, as in healthchecks' tests.

Project "team" has an `admin`, an `editor` and a `viewer`; the `outsider` is a
user who is not a member; `anonymous` is nobody. For the API, `api_as(name)`
is a client authenticated with a real bearer token of that persona (or none
for anonymous); `admin_api` … `anonymous_api` are shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from imagestreams.access import acting
from imagestreams.models import Role
from imagestreams.services.projects import membership_set, project_create
from imagestreams.services.tokens import token_create

PERSONAS = ("admin", "editor", "viewer", "outsider", "anonymous")
MEMBERS = {"admin": Role.ADMIN, "editor": Role.EDITOR, "viewer": Role.VIEWER}
PASSWORD = "correct horse battery staple"


@pytest.fixture
def personas(db) -> dict:
    """Users by persona name (no entry for anonymous)."""
    users = get_user_model().objects
    return {
        name: users.create_user(name, email=f"{name}@example.com", password=PASSWORD)
        for name in ("admin", "editor", "viewer", "outsider")
    }


@pytest.fixture
def team(personas):
    """Project "team", created by the admin, with the editor and viewer as members."""
    project = project_create(name="team", by=acting(personas["admin"], "task"), display_name="Team")
    for name, role in MEMBERS.items():
        if role != Role.ADMIN:
            membership_set(project=project, user=personas[name], role=role)
    return project


@pytest.fixture
def api_as(personas, team) -> Callable[[str], APIClient]:
    def client(name: str) -> APIClient:
        api = APIClient()
        if name != "anonymous":
            _, raw = token_create(by=acting(personas[name], "task"), name=f"{name}-tests")
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api

    return client


@pytest.fixture
def admin_api(api_as) -> APIClient:
    return api_as("admin")


@pytest.fixture
def editor_api(api_as) -> APIClient:
    return api_as("editor")


@pytest.fixture
def viewer_api(api_as) -> APIClient:
    return api_as("viewer")


@pytest.fixture
def outsider_api(api_as) -> APIClient:
    return api_as("outsider")


@pytest.fixture
def anonymous_api(api_as) -> APIClient:
    return api_as("anonymous")
