"""Bearer tokens, sessions, and HTTP Basic on the token endpoint only."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from imagestreams.access import acting
from imagestreams.models import ApiToken
from imagestreams.services.tokens import token_create, token_revoke
from tests.personas import PASSWORD
from tests.registry_lab.net import wait_until

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def basic(username: str, password: str) -> APIClient:
    client = APIClient()
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {pair}")
    return client


def test_a_valid_token_authenticates_its_user(personas):
    _, raw = token_create(by=acting(personas["editor"], "task"), name="laptop")
    response = bearer(raw).get("/api/v1/whoami")
    assert response.status_code == 200
    assert response.json() == {"username": "editor", "is_superuser": False}


def test_anonymous_calls_get_401_with_a_bearer_challenge(db):
    response = APIClient().get("/api/v1/projects")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
        "field": None,
    }


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer", "invalid Authorization header"),
        ("Bearer a b", "invalid Authorization header"),
        ("Bearer nope", 'API tokens start with "isk_"'),
        ("Bearer isk_unknown", "no such token"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(db, header, message):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/whoami")
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_token_is_refused(personas):
    token, raw = token_create(by=acting(personas["editor"], "task"), name="old laptop")
    token_revoke(by=acting(personas["editor"], "task"), owner=personas["editor"], token_id=token.pk)
    response = bearer(raw).get("/api/v1/whoami")
    assert response.status_code == 401
    assert response.json()["detail"] == (
        'token "old laptop" was revoked; log in again to get a new one'
    )


def test_an_expired_token_is_refused(personas):
    token, raw = token_create(by=acting(personas["editor"], "task"), name="ci", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(raw).get("/api/v1/whoami")
    assert response.status_code == 401
    assert response.json()["detail"].startswith('token "ci" expired at ')


def test_a_token_of_a_disabled_account_is_refused(personas):
    _, raw = token_create(by=acting(personas["editor"], "task"), name="ci")
    personas["editor"].is_active = False
    personas["editor"].save()
    assert bearer(raw).get("/api/v1/whoami").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(personas, settings, django_assert_num_queries):
    settings.AUTH_CACHE_SECONDS = 0  # every call reads the token
    token, raw = token_create(by=acting(personas["editor"], "task"), name="ci")
    client = bearer(raw)
    client.get("/api/v1/whoami")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    # A second call within the minute reads the token and writes nothing.
    with django_assert_num_queries(1):
        client.get("/api/v1/whoami")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get("/api/v1/whoami")
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_a_token_checked_recently_costs_no_query(personas, django_assert_num_queries):
    _, raw = token_create(by=acting(personas["editor"], "task"), name="ci")
    client = bearer(raw)
    client.get("/api/v1/whoami")
    for _ in range(3):
        with django_assert_num_queries(0):
            response = client.get("/api/v1/whoami")
        assert response.json()["username"] == "editor"


def test_a_token_revoked_after_use_is_refused_at_once(personas):
    token, raw = token_create(by=acting(personas["editor"], "task"), name="ci")
    client = bearer(raw)
    assert client.get("/api/v1/whoami").status_code == 200
    token_revoke(by=acting(personas["editor"], "task"), owner=personas["editor"], token_id=token.pk)
    assert client.get("/api/v1/whoami").status_code == 401


def test_an_account_disabled_after_use_is_refused_once_the_check_is_due(personas, settings):
    settings.AUTH_CACHE_SECONDS = 0.2
    _, raw = token_create(by=acting(personas["editor"], "task"), name="ci")
    client = bearer(raw)
    assert client.get("/api/v1/whoami").status_code == 200
    personas["editor"].is_active = False
    personas["editor"].save()
    assert wait_until(lambda: client.get("/api/v1/whoami").status_code == 401)


def test_only_a_hash_of_the_token_is_stored(personas):
    token, raw = token_create(by=acting(personas["editor"], "task"), name="ci")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.key_prefix, stored.name)
    assert raw.startswith(stored.key_prefix)


def test_a_session_works_for_the_browsable_api(client, personas):
    client.login(username="viewer", password=PASSWORD)
    response = client.get("/api/v1/whoami", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"viewer" in response.content


def test_a_session_needs_the_csrf_token_to_write(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="viewer", password=PASSWORD)
    response = client.post("/api/v1/projects", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_basic_authentication_obtains_a_token(personas):
    response = basic("editor", PASSWORD).post(
        "/api/v1/tokens", {"name": "isctl on laptop"}, format="json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert bearer(raw).get("/api/v1/whoami").json()["username"] == "editor"


def test_basic_authentication_is_refused_elsewhere(personas):
    response = basic("editor", PASSWORD).get("/api/v1/projects")
    assert response.status_code == 401


def test_a_wrong_password_is_refused(personas):
    response = basic("editor", "wrong").post("/api/v1/tokens", {"name": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid username/password."


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/team/imagestreams",
        "/api/v1/projects/team/imagestreamtags/python:3.6",
        "/api/v1/projects/team/imagestreamtags/python:3.6/rollback",
        "/api/v1/projects/team/imports",
    ],
)
def test_the_browsable_api_renders_for_a_logged_in_user(client, python, path):
    client.login(username="editor", password=PASSWORD)
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    assert response.status_code in (200, 405)
