"""Registry credentials: project admins only, passwords never shown."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models import RegistryCredential
from imagestreams.services.credentials import credential_set
from tests.web.conftest import HTMX, page_text

pytestmark = pytest.mark.django_db

PAGE = "/p/team/credentials/"


def test_an_admin_adds_credentials_whose_password_is_never_shown(alice, project):
    data = {"registry": "https://Quay.io/", "username": "robot", "password": "s3cret-pw"}
    response = alice.post(PAGE, data, headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<div id="credentials"')
    assert "Credentials for quay.io saved (robot)." in html
    assert "s3cret-pw" not in html
    credential = RegistryCredential.objects.get(project=project)
    assert credential.get_password() == "s3cret-pw"
    page = page_text(alice.get(PAGE))
    assert ">quay.io</th>" in page
    assert "s3cret-pw" not in page
    assert credential.password_encrypted not in page


def test_saving_again_replaces_the_credentials(alice, project):
    credential_set(
        project=project, registry="quay.io", username="old", password="x", by=acting_system()
    )
    alice.post(PAGE, {"registry": "quay.io", "username": "new", "password": "y"})
    assert RegistryCredential.objects.get(project=project).username == "new"


def test_a_wrong_registry_is_explained_and_nothing_saved(alice, project):
    data = {"registry": "quay.io/org", "username": "u", "password": "p"}
    html = page_text(alice.post(PAGE, data, headers=HTMX))
    assert "registry must be a host name with an optional port" in html
    assert not RegistryCredential.objects.exists()


def test_a_password_is_not_echoed_back_when_the_form_is_invalid(alice, project):
    data = {"registry": "", "username": "u", "password": "typed-secret"}
    html = page_text(alice.post(PAGE, data))
    assert "This field is required." in html
    assert "typed-secret" not in html


def test_an_empty_page_says_when_credentials_are_needed(alice, project):
    assert "Public registries need none" in page_text(alice.get(PAGE))


def test_admins_find_the_page_from_the_project(alice, project):
    assert f'href="{PAGE}"' in alice.get("/p/team/").content.decode()


@pytest.mark.parametrize("persona", ["eddie", "vera"])
def test_only_admins_may_see_or_change_credentials(as_user, project, persona):
    client = as_user(persona)
    assert client.get(PAGE).status_code == 403
    data = {"registry": "quay.io", "username": "u", "password": "p"}
    assert client.post(PAGE, data).status_code == 403
    assert not RegistryCredential.objects.exists()


def test_outsiders_get_not_found(charlie):
    assert charlie.get(PAGE).status_code == 404
