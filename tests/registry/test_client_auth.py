from __future__ import annotations

import httpx
import pytest

from imagestreams.registry import (
    CredentialsRejected,
    RegistryClient,
    RegistryUnavailable,
    Unauthorized,
    parse_reference,
)
from imagestreams.registry.auth import TokenCache, parse_challenge
from tests.registry.fakes import AUTH_HOST, REGISTRY_HOST, USERS, FakeRegistry

REF = parse_reference(f"{REGISTRY_HOST}/team/app:1.0")
OTHER_TAG = REF.with_tag("2.0")


def creds(user: str, password: str | None = None):
    return lambda host: (user, USERS[user] if password is None else password)


@pytest.fixture
def bearer_registry(registry: FakeRegistry) -> FakeRegistry:
    registry.auth = "bearer"
    registry.push_image("team/app", "1.0")
    registry.push_image("team/app", "2.0", labels={"v": "2"})
    return registry


def test_anonymous_bearer_flow_fetches_one_token_and_reuses_it(bearer_registry, make_client):
    client = make_client()

    client.head_manifest(REF)
    client.head_manifest(OTHER_TAG)

    assert bearer_registry.paths() == [
        "GET /v2/",
        "GET /token",
        "HEAD /v2/team/app/manifests/1.0",
        "HEAD /v2/team/app/manifests/2.0",
    ]
    token_request = bearer_registry.token_requests()[0]
    assert token_request.url.params["scope"] == "repository:team/app:pull"
    assert token_request.url.params["service"] == REGISTRY_HOST
    assert "account" not in token_request.url.params
    assert "authorization" not in token_request.headers
    head = bearer_registry.requests[2]
    assert head.headers["authorization"] == "Bearer token-anonymous-1"


def test_bearer_flow_with_credentials_sends_basic_auth_to_the_realm(bearer_registry, make_client):
    asked_for: list[str] = []

    def lookup(host: str) -> tuple[str, str]:
        asked_for.append(host)
        return ("alice", USERS["alice"])

    make_client(credentials=lookup).head_manifest(REF)

    token_request = bearer_registry.token_requests()[0]
    assert token_request.url.params["account"] == "alice"
    assert token_request.headers["authorization"].startswith("Basic ")
    assert bearer_registry.requests[-1].headers["authorization"] == "Bearer token-alice-1"
    assert asked_for == [REGISTRY_HOST]


def test_tokens_are_cached_per_repository_scope(bearer_registry, make_client):
    bearer_registry.push_image("team/other", "1.0")
    client = make_client()

    client.head_manifest(REF)
    client.head_manifest(parse_reference(f"{REGISTRY_HOST}/team/other:1.0"))
    client.head_manifest(OTHER_TAG)

    scopes = [r.url.params["scope"] for r in bearer_registry.token_requests()]
    assert scopes == ["repository:team/app:pull", "repository:team/other:pull"]


def test_a_token_the_registry_no_longer_accepts_is_replaced_once(bearer_registry, make_client):
    client = make_client()
    client.head_manifest(REF)
    bearer_registry.tokens.clear()  # the registry forgets (revokes) every token

    client.head_manifest(OTHER_TAG)

    assert bearer_registry.paths()[-3:] == [
        "HEAD /v2/team/app/manifests/2.0",
        "GET /token",
        "HEAD /v2/team/app/manifests/2.0",
    ]


def test_it_learns_a_challenge_the_ping_did_not_announce(make_client):
    # Some registries answer the ping with 200 but protect repositories.
    registry = FakeRegistry(auth="bearer")
    registry.push_image("team/app", "1.0")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            registry.requests.append(request)
            return httpx.Response(200, json={})
        return registry.handle(request)

    client = make_client(transport=httpx.MockTransport(handler))

    descriptor = client.head_manifest(REF)

    assert descriptor.digest
    assert registry.paths() == [
        "GET /v2/",
        "HEAD /v2/team/app/manifests/1.0",
        "GET /token",
        "HEAD /v2/team/app/manifests/1.0",
    ]


def test_rejected_credentials_are_dropped_for_an_anonymous_retry(bearer_registry, make_client):
    client = make_client(credentials=creds("alice", "wrong"))

    descriptor = client.head_manifest(REF)

    assert descriptor.digest
    token_auth = [r.headers.get("authorization") for r in bearer_registry.token_requests()]
    assert token_auth[0].startswith("Basic ")
    assert token_auth[1] is None


def test_rejected_credentials_are_not_tried_again_within_the_batch(bearer_registry, make_client):
    client = make_client(credentials=creds("alice", "wrong"))
    client.head_manifest(REF)
    before = len(bearer_registry.requests)

    client.head_manifest(OTHER_TAG)

    # The anonymous token is reused: one request, as for any unchanged tag.
    assert bearer_registry.paths()[before:] == ["HEAD /v2/team/app/manifests/2.0"]


def test_transient_failures_after_rejected_credentials_stay_retryable(make_client):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        if "authorization" in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return httpx.Response(503)

    client = make_client(
        transport=httpx.MockTransport(handler), credentials=creds("alice", "wrong")
    )

    with pytest.raises(RegistryUnavailable):
        client.head_manifest(REF)


def test_rejected_credentials_are_reported_when_anonymous_access_fails_too(
    bearer_registry, make_client
):
    bearer_registry.private["team/app"] = {"alice"}
    client = make_client(credentials=creds("alice", "wrong"))

    with pytest.raises(CredentialsRejected) as caught:
        client.head_manifest(REF)

    assert caught.value.message == (
        f'incorrect username or password for image "{REGISTRY_HOST}/team/app:1.0"'
    )
    assert caught.value.reason == "Unauthorized"
    assert "wrong" not in caught.value.message


def test_anonymous_access_to_a_private_repository_says_there_were_no_credentials(
    bearer_registry, make_client
):
    bearer_registry.private["team/app"] = {"alice"}

    with pytest.raises(Unauthorized) as caught:
        make_client().head_manifest(REF)

    assert caught.value.message == (
        f'you may not have access to the container image "{REGISTRY_HOST}/team/app:1.0" '
        "and did not have credentials to the repository"
    )
    assert not isinstance(caught.value, CredentialsRejected)


def test_valid_credentials_without_access_are_unauthorized(bearer_registry, make_client):
    bearer_registry.private["team/app"] = {"alice"}

    with pytest.raises(Unauthorized) as caught:
        make_client(credentials=creds("bob")).head_manifest(REF)

    assert caught.value.message == (
        f'you may not have access to the container image "{REGISTRY_HOST}/team/app:1.0"'
    )
    assert not isinstance(caught.value, CredentialsRejected)
    # bob's token was fetched once; no anonymous retry for a plain denial.
    assert len(bearer_registry.token_requests()) == 1


def test_private_repository_with_the_right_credentials(bearer_registry, make_client):
    bearer_registry.private["team/app"] = {"alice"}

    manifest = make_client(credentials=creds("alice")).get_manifest(REF)

    assert manifest.config is not None


def test_basic_auth_sends_credentials_directly(registry, make_client):
    registry.auth = "basic"
    registry.push_image("team/app", "1.0")

    make_client(credentials=creds("alice")).head_manifest(REF)

    assert registry.paths() == ["GET /v2/", "HEAD /v2/team/app/manifests/1.0"]
    assert registry.requests[-1].headers["authorization"].startswith("Basic ")
    assert not registry.token_requests()


def test_basic_auth_without_credentials_is_unauthorized(registry, make_client):
    registry.auth = "basic"
    registry.push_image("team/app", "1.0")

    with pytest.raises(Unauthorized, match="did not have credentials"):
        make_client().head_manifest(REF)


def test_basic_auth_with_a_wrong_password_retries_anonymously_then_reports_it(
    registry, make_client
):
    registry.auth = "basic"
    registry.push_image("team/app", "1.0")

    with pytest.raises(CredentialsRejected, match="incorrect username or password"):
        make_client(credentials=creds("alice", "wrong")).head_manifest(REF)

    sent = [r.headers.get("authorization") for r in registry.requests if r.method == "HEAD"]
    assert sent[0] is not None and sent[-1] is None


def test_token_server_answering_access_token_is_accepted(make_client):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == AUTH_HOST:
            return httpx.Response(200, json={"access_token": "opaque"})
        if request.headers.get("authorization") != "Bearer opaque":
            challenge = f'Bearer realm="https://{AUTH_HOST}/token"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        seen.append(request.url.path)
        return httpx.Response(200, headers={"Docker-Content-Digest": "sha256:" + "1" * 64})

    client = make_client(transport=httpx.MockTransport(handler))

    assert client.head_manifest(REF).digest == "sha256:" + "1" * 64
    assert seen == ["/v2/team/app/manifests/1.0"]


def test_token_cache_expires_entries():
    now = [100.0]
    cache = TokenCache(clock=lambda: now[0])
    cache.put(("k",), "tok", lifetime=60)

    now[0] = 150.0
    assert cache.get(("k",)) == "tok"
    now[0] = 160.0  # within the renewal margin before expiry
    assert cache.get(("k",)) is None


def test_parse_challenge_prefers_bearer_and_reads_quoted_params():
    headers = httpx.Headers(
        [
            ("WWW-Authenticate", 'Basic realm="basic"'),
            (
                "WWW-Authenticate",
                'Bearer realm="https://auth.example.com/token",service="reg \\"x\\"",'
                'scope="repository:a/b:pull",error="insufficient_scope"',
            ),
        ]
    )

    challenge = parse_challenge(headers)

    assert challenge is not None
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.example.com/token"
    assert challenge.service == 'reg "x"'
    assert challenge.params["scope"] == "repository:a/b:pull"


def test_parse_challenge_handles_several_challenges_in_one_header():
    headers = httpx.Headers({"WWW-Authenticate": 'Basic realm="r", Bearer realm="https://t/x"'})

    challenge = parse_challenge(headers)

    assert challenge is not None and challenge.realm == "https://t/x"


def test_client_is_a_context_manager(bearer_registry):
    with RegistryClient(transport=bearer_registry.transport()) as client:
        client.head_manifest(REF)
    assert bearer_registry.paths()[-1] == "HEAD /v2/team/app/manifests/1.0"
