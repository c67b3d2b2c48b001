from __future__ import annotations

import pytest

from imagestreams.models import RegistryCredential
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_an_operator_adds_credentials_whose_password_is_never_shown_again(admin_client):
    project = ProjectFactory(name="team")
    response = admin_client.post(
        "/admin/imagestreams/registrycredential/add/",
        {"project": project.pk, "registry": "Quay.io", "username": "bot", "password": "t0ps3cret"},
    )
    assert response.status_code == 302
    credential = RegistryCredential.objects.get()
    assert (credential.registry, credential.get_password()) == ("quay.io", "t0ps3cret")
    page = admin_client.get(f"/admin/imagestreams/registrycredential/{credential.pk}/change/")
    assert b"t0ps3cret" not in page.content
    assert credential.password_encrypted.encode() not in page.content


def test_a_new_credential_needs_a_password(admin_client):
    project = ProjectFactory(name="team")
    response = admin_client.post(
        "/admin/imagestreams/registrycredential/add/",
        {"project": project.pk, "registry": "quay.io", "username": "bot", "password": ""},
    )
    assert response.status_code == 200
    assert not RegistryCredential.objects.exists()
