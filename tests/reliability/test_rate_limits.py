"""Sign-in and token endpoints are rate-limited per client address and per
username (imagestreams.ratelimit): the sign-in form, the admin's sign-in,
the registry token endpoint (failed attempts) and API token creation (every
attempt). Each test uses its own usernames and addresses, so counters left
by other tests in the same cache never meet these."""

from __future__ import annotations

import base64
import io
import itertools
import logging
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db
_addresses = itertools.count(1)


def new_address() -> str:
    n = next(_addresses)
    return f"198.51.{(n // 250) % 250}.{n % 250 + 1}"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(f"u-{uuid.uuid4().hex[:10]}", password=PASSWORD)


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMIT_SIGNIN = "3/300"
    settings.RATE_LIMIT_TOKENS = "2/300"
    return settings


def sign_in(username: str, password: str, address: str, path: str = "/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_failed_sign_ins_are_limited_per_address_and_per_username(tight_limits, user):
    address = new_address()
    for _ in range(3):
        assert sign_in(user.username, "wrong", address).status_code == 200
    refused = sign_in(user.username, PASSWORD, address)  # even the right password now
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 300
    assert b"Too many failed sign-ins" in refused.content
    assert "_auth_user_id" not in refused.wsgi_request.session
    # The username is locked from everywhere; the address for every username.
    assert sign_in(user.username, PASSWORD, new_address()).status_code == 429
    assert sign_in("someone-else", "x", address).status_code == 429
    # Other people elsewhere sign in as usual.
    other = get_user_model().objects.create_user(f"u-{uuid.uuid4().hex[:10]}", password=PASSWORD)
    assert sign_in(other.username, PASSWORD, new_address()).status_code == 302


def test_successful_sign_ins_do_not_count(tight_limits, user):
    address = new_address()
    for _ in range(5):
        assert sign_in(user.username, PASSWORD, address).status_code == 302


def test_the_admin_sign_in_is_limited_too(tight_limits, user):
    address = new_address()
    for _ in range(3):
        assert sign_in(user.username, "wrong", address, "/admin/login/").status_code == 200
    assert sign_in(user.username, "wrong", address, "/admin/login/").status_code == 429
    assert sign_in(user.username, PASSWORD, address).status_code == 429  # shared counters


@pytest.fixture
def token_keys(settings, tmp_path):
    from imagestreams.registry_auth.keys import load_signing_key

    settings.REGISTRY_TOKEN_KEY_FILE = str(tmp_path / "keys" / "key.pem")
    load_signing_key.cache_clear()
    call_command("registry_keys", "--realm", "http://example/registry/token", stdout=io.StringIO())
    yield
    load_signing_key.cache_clear()


def test_the_registry_token_endpoint_limits_failed_credentials(tight_limits, token_keys, user):
    client = Client(REMOTE_ADDR=new_address())
    for _ in range(3):
        response = client.get("/registry/token", HTTP_AUTHORIZATION=basic(user.username, "bad"))
        assert response.status_code == 401
    response = client.get("/registry/token", HTTP_AUTHORIZATION=basic(user.username, PASSWORD))
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert int(response["Retry-After"]) > 0
    # Anonymous pulls are not sign-ins and keep working.
    assert client.get("/registry/token?scope=repository:team/app:pull").status_code == 200


def test_api_token_creation_is_limited(tight_limits, user):
    client = Client(REMOTE_ADDR=new_address())
    body = {"name": "ci"}
    auth = basic(user.username, PASSWORD)
    for _ in range(2):
        response = client.post(
            "/api/v1/tokens", body, content_type="application/json", HTTP_AUTHORIZATION=auth
        )
        assert response.status_code == 201
    response = client.post(
        "/api/v1/tokens", body, content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert user.api_tokens.count() == 2


def test_guessing_passwords_through_the_token_api_counts(tight_limits, user):
    auth = basic(user.username, "guess")
    for _ in range(2):
        response = Client(REMOTE_ADDR=new_address()).post(
            "/api/v1/tokens",
            {"name": "x"},
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
        assert response.status_code == 401
    response = Client(REMOTE_ADDR=new_address()).post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 429


def test_the_client_address_comes_from_the_trusted_proxy(tight_limits, settings, user):
    """Behind one proxy, clients are told apart by X-Forwarded-For; what a
    client writes there itself is ignored."""
    settings.TRUSTED_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    attacker = new_address()
    for n in range(3):
        forged = f"{new_address()}, {attacker}"  # a fresh forged entry each time
        response = proxy.post(
            "/login/", {"username": f"x{n}", "password": "x"}, HTTP_X_FORWARDED_FOR=forged
        )
        assert response.status_code == 200
    response = proxy.post(
        "/login/", {"username": "y", "password": "x"}, HTTP_X_FORWARDED_FOR=attacker
    )
    assert response.status_code == 429
    response = proxy.post(
        "/login/",
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=new_address(),
    )
    assert response.status_code == 302


@pytest.fixture
def redis_cache(settings):
    """The production cache: Redis, shared by every web process."""
    import redis

    from tests.scheduling.test_processes import REDIS_URL

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"ratelimit-test-{uuid.uuid4().hex}",
        }
    }
    return settings


def test_limits_are_shared_through_redis(tight_limits, redis_cache, user):
    address = new_address()
    for _ in range(3):
        assert sign_in(user.username, "wrong", address).status_code == 200
    from django.core.cache import caches

    caches["default"].close()  # as if the next request reached another web process
    assert sign_in(user.username, PASSWORD, address).status_code == 429


def test_an_unreachable_cache_does_not_lock_users_out(tight_limits, settings, user, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with caplog.at_level(logging.WARNING, logger="imagestreams.ratelimit"):
        for _ in range(5):
            assert sign_in(user.username, "wrong", new_address()).status_code == 200
        assert sign_in(user.username, PASSWORD, new_address()).status_code == 302
    assert "not enforced: the cache is unavailable" in caplog.text
