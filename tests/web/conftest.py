"""Personas and helpers for the web page tests: alice is the project's admin,
eddie an editor, vera a viewer and charlie an outsider."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model

from imagestreams.access import acting
from imagestreams.models import Role
from imagestreams.services.projects import membership_set, project_create

HTMX = {"HX-Request": "true"}


def page_text(response) -> str:
    """The response's HTML with entities decoded, to find messages as users read them."""
    return html.unescape(response.content.decode())


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests run with DEBUG off, where the manifest storage needs collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def people(db):
    users = get_user_model().objects
    return {
        name: users.create_user(name, password="pw")
        for name in ("alice", "eddie", "vera", "charlie")
    }


@pytest.fixture
def project(people):
    project = project_create(name="team", by=acting(people["alice"], "task"))
    membership_set(project=project, user=people["eddie"], role=Role.EDITOR)
    membership_set(project=project, user=people["vera"], role=Role.VIEWER)
    return project


@pytest.fixture
def as_user(client, people):
    """`as_user("vera")` signs the test client in as that persona."""

    def sign_in(name: str):
        client.force_login(people[name])
        return client

    return sign_in


@pytest.fixture
def alice(as_user, project):
    return as_user("alice")


@pytest.fixture
def eddie(as_user, project):
    return as_user("eddie")


@pytest.fixture
def vera(as_user, project):
    return as_user("vera")


@pytest.fixture
def charlie(as_user, project):
    return as_user("charlie")
