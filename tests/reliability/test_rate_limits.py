"""Password checks are rate-limited wherever a password is checked — the
sign-in form, the admin's sign-in, HTTP Basic on the API, the registry token
endpoint — with one shared limiter counting failures per (username, client
address) and per address (imagestreams.ratelimit), so that failing from one
address never locks the right password out from another. API token creation
is limited per user. Each test uses its own usernames and addresses, so
counters left by other tests in the same cache never meet these."""

from __future__ import annotations

import base64
import itertools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db
_addresses = itertools.count(1)


def new_address() -> str:
    n = next(_addresses)
    return f"198.51.{(n // 250) % 250}.{n % 250 + 1}"


@pytest.fixture
def user(db):
    # Staff, so that the right password also signs in to the admin.
    return get_user_model().objects.create_user(
        f"u-{uuid.uuid4().hex[:10]}", password=PASSWORD, is_staff=True
    )


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMIT_SIGNIN = "3/300"
    settings.RATE_LIMIT_SIGNIN_ADDRESS = "5/300"
    settings.RATE_LIMIT_TOKENS = "2/300"
    return settings


def sign_in(username: str, password: str, address: str, path: str = "/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@dataclass(frozen=True)
class Door:
    """A place that checks a password: `attempt(username, password, address)`
    returns the status code; `accepted` is the code of the right password."""

    name: str
    attempt: Callable[[str, str, str], int]
    accepted: int


def _form(path: str) -> Callable[[str, str, str], int]:
    return lambda username, password, address: (
        sign_in(username, password, address, path).status_code
    )


def _basic(method: str, path: str) -> Callable[[str, str, str], int]:
    def attempt(username: str, password: str, address: str) -> int:
        client = Client(REMOTE_ADDR=address)
        auth = basic(username, password)
        if method == "post":
            response = client.post(
                path, {"name": "ci"}, content_type="application/json", HTTP_AUTHORIZATION=auth
            )
        else:
            response = getattr(client, method)(path, HTTP_AUTHORIZATION=auth)
        return response.status_code

    return attempt


DOORS = [
    Door("sign-in page", _form("/login/"), 302),
    Door("admin sign-in", _form("/admin/login/"), 302),
    Door("registry token", _basic("get", "/registry/token?scope=repository:team/app:pull"), 200),
    Door("GET /api/v1/tokens", _basic("get", "/api/v1/tokens"), 200),
    Door("HEAD /api/v1/tokens", _basic("head", "/api/v1/tokens"), 200),
    Door("DELETE /api/v1/tokens", _basic("delete", "/api/v1/tokens"), 405),
    Door("POST /api/v1/tokens", _basic("post", "/api/v1/tokens"), 201),
]


@pytest.mark.parametrize("door", DOORS, ids=[door.name for door in DOORS])
def test_every_password_check_is_limited(tight_limits, token_keys, user, door):
    address = new_address()
    for _ in range(3):
        assert door.attempt(user.username, "wrong", address) in (200, 401)
    assert door.attempt(user.username, PASSWORD, address) == 429


@pytest.mark.parametrize("door", DOORS, ids=[door.name for door in DOORS])
def test_failures_from_one_address_do_not_lock_the_owner_out(tight_limits, token_keys, user, door):
    attacker = new_address()
    for _ in range(11):
        assert door.attempt(user.username, "wrong", attacker) in (200, 401, 429)
    assert door.attempt(user.username, PASSWORD, attacker) == 429
    assert door.attempt(user.username, PASSWORD, new_address()) == door.accepted


def test_every_door_counts_against_the_same_limiter(tight_limits, token_keys, user):
    """One failure at each of three doors uses up the allowance at all of them."""
    address = new_address()
    for door in DOORS[:3]:
        assert door.attempt(user.username, "wrong", address) in (200, 401)
    for door in DOORS:
        assert door.attempt(user.username, PASSWORD, address) == 429, door.name


def test_the_api_accepts_basic_only_through_the_limited_class():
    """HTTP Basic anywhere in the API must count failures: no view may use
    DRF's plain BasicAuthentication."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from rest_framework.authentication import BasicAuthentication

    from imagestreams.api.authentication import LimitedBasicAuthentication

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield getattr(pattern.callback, "cls", None)

    checked = 0
    for view in views(get_resolver().url_patterns):
        for authentication in getattr(view, "authentication_classes", ()):
            checked += 1
            if issubclass(authentication, BasicAuthentication):
                assert issubclass(authentication, LimitedBasicAuthentication), view
    assert checked


def test_failed_sign_ins_are_limited_per_username_and_address_and_per_address(tight_limits, user):
    address = new_address()
    for _ in range(3):
        assert sign_in(user.username, "wrong", address).status_code == 200
    refused = sign_in(user.username, PASSWORD, address)  # even the right password now
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 300
    assert b"Too many failed sign-ins" in refused.content
    assert "_auth_user_id" not in refused.wsgi_request.session
    assert sign_in(user.username.upper(), PASSWORD, address).status_code == 429
    # The owner elsewhere signs in as usual.
    assert sign_in(user.username, PASSWORD, new_address()).status_code == 302
    # From that address, two more failures (5 in all) lock every username.
    other = get_user_model().objects.create_user(f"u-{uuid.uuid4().hex[:10]}", password=PASSWORD)
    assert sign_in("someone-else", "x", address).status_code == 200
    assert sign_in(other.username, PASSWORD, address).status_code == 302
    assert sign_in("someone-else", "x", address).status_code == 200
    assert sign_in(other.username, PASSWORD, address).status_code == 429
    assert sign_in(other.username, PASSWORD, new_address()).status_code == 302


def test_ipv6_clients_are_counted_by_their_64_bit_prefix(tight_limits, user):
    for n in range(3):
        assert sign_in(user.username, "wrong", f"2001:db8:1:2::{n + 1}").status_code == 200
    assert sign_in(user.username, PASSWORD, "2001:db8:1:2::99").status_code == 429
    assert sign_in(user.username, PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_successful_sign_ins_do_not_count(tight_limits, user):
    address = new_address()
    for _ in range(7):
        assert sign_in(user.username, PASSWORD, address).status_code == 302


def test_the_admin_sign_in_is_limited_too(tight_limits, user):
    address = new_address()
    for _ in range(3):
        assert sign_in(user.username, "wrong", address, "/admin/login/").status_code == 200
    assert sign_in(user.username, "wrong", address, "/admin/login/").status_code == 429
    assert sign_in(user.username, PASSWORD, address).status_code == 429  # shared counters


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


def test_token_creation_by_one_user_leaves_others_alone(tight_limits, user):
    """Only the user's own creations count: requests naming them without the
    right password are sign-in failures, per address."""
    address = new_address()
    for _ in range(2):
        response = Client(REMOTE_ADDR=new_address()).post(
            "/api/v1/tokens",
            {"name": "x"},
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(user.username, "guess"),
        )
        assert response.status_code == 401
    other = get_user_model().objects.create_user(f"u-{uuid.uuid4().hex[:10]}", password=PASSWORD)
    for name in (other.username, other.username, user.username):
        response = Client(REMOTE_ADDR=address).post(
            "/api/v1/tokens",
            {"name": "x"},
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(name, PASSWORD),
        )
        assert response.status_code == 201


def test_the_client_address_comes_from_the_trusted_proxy(tight_limits, settings, user):
    """Behind one proxy, clients are told apart by X-Forwarded-For; what a
    client writes there itself is ignored."""
    settings.TRUSTED_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    attacker = new_address()
    for n in range(5):
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

    from tests.processes import REDIS_URL

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
