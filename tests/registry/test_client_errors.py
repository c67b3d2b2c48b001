from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from imagestreams.registry import (
    Forbidden,
    InsecureRequired,
    NotFound,
    RateLimited,
    RegistryError,
    RegistryUnavailable,
    parse_reference,
)
from imagestreams.registry.status import retry_after_seconds
from tests.registry.fakes import REGISTRY_HOST, FakeRegistry

REF = parse_reference(f"{REGISTRY_HOST}/team/app:1.0")
LOCAL_REF = parse_reference("127.0.0.1:5000/x/y:1")
NOW = 1_800_000_000.0


def answering(status: int, *, headers: dict | None = None, json: object = None):
    """A registry whose /v2/ is open and whose every other answer is fixed."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        return httpx.Response(status, headers=headers, json=json)

    return httpx.MockTransport(handler)


def failing_with(exc_factory, *, ping_too: bool = False):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/" and not ping_too:
            return httpx.Response(200, json={})
        raise exc_factory(request)

    return httpx.MockTransport(handler)


def test_unknown_tag_is_not_found_with_the_reference_in_the_message(registry, make_client):
    registry.push_image("team/app", "1.0")

    with pytest.raises(NotFound) as caught:
        make_client().head_manifest(REF.with_tag("nope"))

    assert (
        caught.value.message == f'image "{REGISTRY_HOST}/team/app:nope" not found: manifest unknown'
    )
    assert caught.value.reason == "NotFound"
    assert not caught.value.retryable


def test_not_found_uses_the_registry_explanation_when_there_is_one(make_client):
    body = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "OCI index found, but no"}]}
    client = make_client(transport=answering(404, json=body))

    with pytest.raises(NotFound, match="not found: OCI index found, but no"):
        client.get_manifest(REF)


def test_unknown_repository_when_listing_tags_is_not_found(registry, make_client):
    with pytest.raises(NotFound) as caught:
        make_client().list_tags(REF)

    assert caught.value.message == (
        f'repository "{REGISTRY_HOST}/team/app" not found: repository name not known to registry'
    )


def test_denied_is_forbidden(make_client):
    body = {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]}
    client = make_client(transport=answering(403, json=body))

    with pytest.raises(Forbidden) as caught:
        client.get_manifest(REF)

    assert "requested access to the resource is denied" in caught.value.message
    assert caught.value.reason == "Forbidden"


def test_too_many_requests_carries_retry_after(make_client):
    client = make_client(transport=answering(429, headers={"Retry-After": "30"}))

    with pytest.raises(RateLimited) as caught:
        client.head_manifest(REF)

    assert caught.value.retry_after == 30.0
    assert caught.value.retryable
    assert caught.value.reason == "TooManyRequests"
    assert "retry after 30 seconds" in caught.value.message


def test_too_many_requests_without_a_hint(make_client):
    client = make_client(transport=answering(429))

    with pytest.raises(RateLimited) as caught:
        client.head_manifest(REF)

    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "-5"}, 0.0),
        (
            {"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True)},
            90.0,
        ),
        ({"RateLimit-Reset": "42"}, 42.0),
        ({"RateLimit-Reset": "42;w=21600"}, 42.0),
        ({"ratelimit-reset": str(int(NOW) + 600)}, 600.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers, expected):
    # Large RateLimit-Reset values are Unix timestamps, small ones delays.
    result = retry_after_seconds(httpx.Headers(headers), now=NOW)

    assert result == (pytest.approx(expected) if expected is not None else None)


def test_retry_after_http_date_in_the_future():
    when = (datetime.now(UTC) + timedelta(seconds=100)).replace(microsecond=0)  # as sent
    headers = httpx.Headers({"Retry-After": format_datetime(when, usegmt=True)})

    before = time.time()
    seconds = retry_after_seconds(headers)
    after = time.time()
    # Measured from the moment of parsing, however long the test took to get there.
    assert when.timestamp() - after <= seconds <= when.timestamp() - before


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "InternalError"), (502, "ServiceUnavailable"), (503, "ServiceUnavailable")],
)
def test_server_errors_are_retryable_unavailability(status, reason, make_client):
    client = make_client(transport=answering(status))

    with pytest.raises(RegistryUnavailable) as caught:
        client.get_manifest(REF)

    assert caught.value.reason == reason
    assert caught.value.retryable
    assert f"HTTP {status}" in caught.value.message
    assert REGISTRY_HOST in caught.value.message


def test_a_failing_ping_is_reported_too(make_client):
    client = make_client(transport=httpx.MockTransport(lambda request: httpx.Response(503)))

    with pytest.raises(RegistryUnavailable, match="HTTP 503"):
        client.head_manifest(REF)


def test_connection_refused_is_unavailable(make_client):
    refused = failing_with(
        lambda r: httpx.ConnectError("[Errno 111] Connection refused"), ping_too=True
    )

    with pytest.raises(RegistryUnavailable) as caught:
        make_client(transport=refused).head_manifest(REF)

    assert "cannot reach the registry registry.example.com" in caught.value.message
    assert "Connection refused" in caught.value.message
    assert caught.value.retryable


def test_timeouts_are_unavailable(make_client):
    slow = failing_with(lambda r: httpx.ReadTimeout("timed out", request=r))

    with pytest.raises(RegistryUnavailable, match="timed out talking to the registry"):
        make_client(transport=slow).get_manifest(REF)


def test_redirect_loops_stop_with_a_clear_message(make_client):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        return httpx.Response(302, headers={"Location": str(request.url)})

    with pytest.raises(RegistryUnavailable) as caught:
        make_client(transport=httpx.MockTransport(handler)).get_blob(REF, "sha256:" + "a" * 64)

    assert "redirected too many times" in caught.value.message


def test_unexpected_client_errors_are_internal_errors(make_client):
    body = {"errors": [{"code": "UNSUPPORTED", "message": "the operation is unsupported"}]}
    client = make_client(transport=answering(405, json=body))

    with pytest.raises(RegistryError) as caught:
        client.get_manifest(REF)

    assert type(caught.value) is RegistryError
    assert caught.value.reason == "InternalError"
    assert "HTTP 405" in caught.value.message
    assert "the operation is unsupported" in caught.value.message


# -- plain HTTP registries --------------------------------------------------


def plain_http_registry(registry: FakeRegistry) -> httpx.MockTransport:
    """What an HTTP-only registry looks like to a TLS client."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            raise httpx.ConnectError(
                "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"
            )
        return registry.handle(request)

    return httpx.MockTransport(handler)


@pytest.fixture
def local_registry() -> FakeRegistry:
    registry = FakeRegistry(host="127.0.0.1:5000")
    registry.push_image("x/y", "1")
    return registry


def test_http_only_registry_requires_the_insecure_flag(local_registry, make_client):
    client = make_client(transport=plain_http_registry(local_registry))

    with pytest.raises(InsecureRequired) as caught:
        client.head_manifest(LOCAL_REF)

    assert caught.value.message == (
        "the repository 127.0.0.1:5000/x/y is HTTP only and requires the insecure flag to import"
    )
    assert caught.value.reason == "BadRequest"
    assert not caught.value.retryable


def test_insecure_flag_falls_back_to_plain_http(local_registry, make_client):
    client = make_client(transport=plain_http_registry(local_registry))

    descriptor = client.head_manifest(LOCAL_REF, insecure=True)

    assert descriptor.digest
    assert [str(r.url) for r in local_registry.requests] == [
        "http://127.0.0.1:5000/v2/",
        "http://127.0.0.1:5000/v2/x/y/manifests/1",
    ]


def test_insecure_registries_setting_works_like_the_flag(local_registry, make_client):
    client = make_client(
        transport=plain_http_registry(local_registry), insecure_registries=["127.0.0.1:5000"]
    )

    assert client.get_manifest(LOCAL_REF).config is not None


def test_insecure_prefers_https_when_the_registry_has_it(local_registry, make_client):
    client = make_client(transport=local_registry.transport())

    client.head_manifest(LOCAL_REF, insecure=True)

    assert {r.url.scheme for r in local_registry.requests} == {"https"}


def test_untrusted_certificates_are_not_retryable(make_client):
    def untrusted(request: httpx.Request):
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed")
        except ssl.SSLError as exc:
            raise httpx.ConnectError(str(exc)) from exc

    client = make_client(transport=failing_with(untrusted, ping_too=True))

    with pytest.raises(RegistryError) as caught:
        client.head_manifest(REF)

    assert not caught.value.retryable
    assert "could not be verified" in caught.value.message
    assert "insecure" in caught.value.message
