"""The user's own API tokens: created (shown once), listed, revoked."""

from __future__ import annotations

import re

import pytest

from imagestreams.models import ApiToken
from imagestreams.services.tokens import token_authenticate
from tests.web.conftest import HTMX, page_text

pytestmark = pytest.mark.django_db


def test_it_needs_sign_in(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_a_created_token_is_shown_once_and_works(client, people):
    client.force_login(people["vera"])
    response = client.post("/account/tokens/", {"name": "laptop"}, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    token = ApiToken.objects.get(user=people["vera"])
    raw = re.search(r"isk_[A-Za-z0-9_-]+", page_text(response)).group(0)
    assert token_authenticate(raw).pk == token.pk
    listing = page_text(client.get("/account/tokens/"))
    assert "laptop" in listing
    assert raw not in listing


def test_bad_input_is_explained(client, people):
    client.force_login(people["vera"])
    response = client.post("/account/tokens/", {"name": "ci", "expires_in_days": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in page_text(response)
    assert not ApiToken.objects.exists()


def test_revoking_a_token(client, people):
    client.force_login(people["vera"])
    client.post("/account/tokens/", {"name": "old"})
    token = ApiToken.objects.get()
    response = client.post(f"/account/tokens/{token.pk}/revoke", headers=HTMX)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "old" not in page_text(client.get("/account/tokens/")).split("Your tokens")[1]


def test_nobody_revokes_someone_elses_token(client, people):
    client.force_login(people["vera"])
    client.post("/account/tokens/", {"name": "mine"})
    token = ApiToken.objects.get()
    client.force_login(people["charlie"])
    assert client.post(f"/account/tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
