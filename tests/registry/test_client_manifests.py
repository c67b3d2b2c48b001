from __future__ import annotations

import httpx
import pytest

from imagestreams.registry import (
    MANIFEST_ACCEPT,
    DigestMismatch,
    InvalidManifest,
    RegistryError,
    parse_reference,
)
from imagestreams.registry.manifests import MAX_MANIFEST_SIZE, OCI_INDEX, OCI_MANIFEST
from tests.registry.fakes import REGISTRY_HOST, make_config, sha256

REF = parse_reference(f"{REGISTRY_HOST}/team/app:1.0")


def open_registry(routes):
    """/v2/ answers 200; ``routes`` maps a path to a response factory."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        return routes[request.url.path](request)

    return httpx.MockTransport(handler)


def test_head_manifest_returns_the_descriptor_and_sends_all_media_types(registry, make_client):
    digest = registry.push_image("team/app", "1.0")
    raw = registry.manifests[("team/app", digest)][1]

    descriptor = make_client().head_manifest(REF)

    assert (descriptor.digest, descriptor.media_type, descriptor.size) == (
        digest,
        OCI_MANIFEST,
        len(raw),
    )
    head = registry.requests[-1]
    assert head.method == "HEAD"
    assert head.headers["accept"] == MANIFEST_ACCEPT
    assert head.headers["user-agent"] == "imagestreams/0.1"


def test_the_registry_is_pinged_once_per_client(registry, make_client):
    registry.push_image("team/app", "1.0")
    client = make_client()

    client.head_manifest(REF)
    client.get_manifest(REF)
    client.list_tags(REF)

    assert registry.paths().count("GET /v2/") == 1


def test_head_without_a_digest_header_falls_back_to_get_and_hashing(registry, make_client):
    digest = registry.push_image("team/app", "1.0")
    registry.omit_digest_on_head = True
    client = make_client()

    descriptor = client.head_manifest(REF)
    manifest = client.get_manifest(REF.with_digest(descriptor.digest))

    assert descriptor.digest == digest
    assert manifest.digest == digest
    # The manifest fetched for hashing is reused instead of being fetched again.
    assert registry.paths() == [
        "GET /v2/",
        "HEAD /v2/team/app/manifests/1.0",
        "GET /v2/team/app/manifests/1.0",
    ]


def test_get_manifest_parses_and_reports_the_digest(registry, make_client):
    digest = registry.push_image("team/app", "1.0")

    manifest = make_client().get_manifest(REF)

    assert manifest.digest == digest
    assert manifest.media_type == OCI_MANIFEST
    assert registry.requests[-1].headers["accept"] == MANIFEST_ACCEPT


def test_get_manifest_rejects_a_body_that_does_not_match_the_announced_digest(
    registry, make_client
):
    registry.push_image("team/app", "1.0")
    original = registry.handle

    def tampering(request: httpx.Request) -> httpx.Response:
        response = original(request)
        if request.method == "GET" and "/manifests/" in request.url.path:
            response.headers["Docker-Content-Digest"] = "sha256:" + "f" * 64
        return response

    client = make_client(transport=httpx.MockTransport(tampering))

    with pytest.raises(DigestMismatch) as caught:
        client.get_manifest(REF)

    assert "announced by the registry sha256:ffff" in caught.value.message
    assert REGISTRY_HOST in caught.value.message


def test_get_manifest_by_digest_verifies_the_content(registry, make_client):
    registry.push_image("team/app", "1.0")
    wrong = "sha256:" + "e" * 64
    # The registry serves other content under the requested digest.
    registry.manifests[("team/app", wrong)] = registry.manifests[("team/app", "1.0")]
    original = registry.handle

    def without_digest_header(request: httpx.Request) -> httpx.Response:
        response = original(request)
        response.headers.pop("Docker-Content-Digest", None)
        return response

    client = make_client(transport=httpx.MockTransport(without_digest_header))

    with pytest.raises(DigestMismatch, match=f"not to the requested {wrong}"):
        client.get_manifest(REF.with_digest(wrong))


def test_head_by_digest_must_answer_that_digest(make_client):
    asked = "sha256:" + "a" * 64
    transport = open_registry(
        {
            f"/v2/team/app/manifests/{asked}": lambda r: httpx.Response(
                200, headers={"Docker-Content-Digest": "sha256:" + "b" * 64}
            )
        }
    )

    with pytest.raises(DigestMismatch):
        make_client(transport=transport).head_manifest(REF.with_digest(asked))


def test_oversized_manifest_announced_by_content_length_is_refused(make_client):
    transport = open_registry(
        {
            "/v2/team/app/manifests/1.0": lambda r: httpx.Response(
                200, headers={"Content-Length": str(MAX_MANIFEST_SIZE + 1)}, content=b"{}"
            )
        }
    )

    with pytest.raises(InvalidManifest) as caught:
        make_client(transport=transport).get_manifest(REF)

    assert "larger than the 4194304 byte limit" in caught.value.message
    assert REGISTRY_HOST in caught.value.message


def test_oversized_manifest_without_content_length_is_cut_off_while_streaming(make_client):
    chunks_sent = []

    def chunks():
        for _ in range(10):
            chunks_sent.append(1)
            yield b" " * (1024 * 1024)

    transport = open_registry(
        {"/v2/team/app/manifests/1.0": lambda r: httpx.Response(200, content=chunks())}
    )

    with pytest.raises(InvalidManifest, match="larger than"):
        make_client(transport=transport).get_manifest(REF)
    assert len(chunks_sent) == 5  # stopped right after crossing 4 MiB


def test_malformed_manifest_names_the_image(make_client):
    transport = open_registry(
        {
            "/v2/team/app/manifests/1.0": lambda r: httpx.Response(
                200, headers={"Content-Type": OCI_MANIFEST}, content=b"{oops"
            )
        }
    )

    with pytest.raises(InvalidManifest) as caught:
        make_client(transport=transport).get_manifest(REF)

    assert caught.value.message.startswith(
        f'image "{REGISTRY_HOST}/team/app:1.0": manifest sha256:'
    )
    assert "is not valid JSON" in caught.value.message


def test_get_blob_follows_redirects_to_storage_without_our_credentials(make_client):
    config = make_config()
    digest = sha256(config)
    storage_requests: list[httpx.Request] = []

    registry_requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "storage.example.net":
            storage_requests.append(request)
            return httpx.Response(200, content=config)
        registry_requests.append(request)
        if "authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return httpx.Response(307, headers={"Location": "https://storage.example.net/blob?sig=1"})

    client = make_client(
        transport=httpx.MockTransport(handler), credentials=lambda host: ("alice", "s3cret")
    )

    assert client.get_blob(REF, digest) == config
    assert registry_requests[-1].headers["authorization"].startswith("Basic ")
    assert len(storage_requests) == 1
    assert "authorization" not in storage_requests[0].headers


def test_get_blob_does_not_forward_bearer_tokens_to_storage(registry, make_client):
    registry.auth = "bearer"
    config = make_config()
    digest = sha256(config)
    storage_requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "storage.example.net":
            storage_requests.append(request)
            return httpx.Response(200, content=config)
        response = registry.handle(request)
        if response.status_code == 404 and "/blobs/" in request.url.path:
            return httpx.Response(307, headers={"Location": "https://storage.example.net/b"})
        return response

    client = make_client(transport=httpx.MockTransport(handler))

    assert client.get_blob(REF, digest) == config
    blob_request = next(r for r in registry.requests if "/blobs/" in r.url.path)
    assert blob_request.headers["authorization"].startswith("Bearer ")
    assert "authorization" not in storage_requests[0].headers


def test_get_blob_verifies_the_digest(make_client):
    digest = sha256(b"expected")
    transport = open_registry(
        {f"/v2/team/app/blobs/{digest}": lambda r: httpx.Response(200, content=b"tampered")}
    )

    with pytest.raises(DigestMismatch, match=f"blob {digest}"):
        make_client(transport=transport).get_blob(REF, digest)


def test_get_blob_enforces_max_size(make_client):
    blob = b"x" * 100
    transport = open_registry(
        {f"/v2/team/app/blobs/{sha256(blob)}": lambda r: httpx.Response(200, content=blob)}
    )

    with pytest.raises(InvalidManifest, match="larger than the 10 byte limit"):
        make_client(transport=transport).get_blob(REF, sha256(blob), max_size=10)


def test_list_tags_follows_relative_and_absolute_links(make_client):
    pages = {
        None: (["a", "b"], '</v2/team/app/tags/list?n=2&last=b>; rel="next"'),
        "b": (
            ["c", "d"],
            f'<https://{REGISTRY_HOST}/v2/team/app/tags/list?n=2&last=d>; rel="next"',
        ),
        "d": (["e"], None),
    }
    seen = []

    def tags(request: httpx.Request) -> httpx.Response:
        last = request.url.params.get("last")
        seen.append(last)
        names, link = pages[last]
        headers = {"Link": link} if link else {}
        return httpx.Response(200, headers=headers, json={"name": "team/app", "tags": names})

    transport = open_registry({"/v2/team/app/tags/list": tags})

    assert make_client(transport=transport).list_tags(REF) == ["a", "b", "c", "d", "e"]
    assert seen == [None, "b", "d"]


def test_list_tags_stops_at_the_limit(make_client):
    seen = []

    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "0"))
        seen.append(page)
        link = f'</v2/team/app/tags/list?page={page + 1}>; rel="next"'
        names = [f"t{page}-{i}" for i in range(3)]
        return httpx.Response(200, headers={"Link": link}, json={"tags": names})

    transport = open_registry({"/v2/team/app/tags/list": endless})

    tags = make_client(transport=transport).list_tags(REF, limit=7)

    assert tags == ["t0-0", "t0-1", "t0-2", "t1-0", "t1-1", "t1-2", "t2-0"]
    assert seen == [0, 1, 2]


def test_list_tags_stops_when_a_page_links_to_itself(make_client):
    def looping(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Link": '</v2/team/app/tags/list>; rel="next"'}, json={"tags": ["a"]}
        )

    transport = open_registry({"/v2/team/app/tags/list": looping})

    assert make_client(transport=transport).list_tags(REF) == ["a"]


def test_list_tags_refuses_links_to_other_hosts(make_client):
    def elsewhere(request: httpx.Request) -> httpx.Response:
        link = '<https://evil.example.org/v2/team/app/tags/list?last=a>; rel="next"'
        return httpx.Response(200, headers={"Link": link}, json={"tags": ["a"]})

    transport = open_registry({"/v2/team/app/tags/list": elsewhere})

    with pytest.raises(RegistryError, match="link to another host"):
        make_client(transport=transport).list_tags(REF)


def test_list_tags_of_a_repository_without_tags(make_client):
    transport = open_registry(
        {
            "/v2/team/app/tags/list": lambda r: httpx.Response(
                200, json={"name": "team/app", "tags": None}
            )
        }
    )

    assert make_client(transport=transport).list_tags(REF) == []


def test_list_tags_uses_the_docker_hub_repository_and_host(make_client):
    requested = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        return httpx.Response(200, json={"tags": ["3.12"]})

    client = make_client(transport=httpx.MockTransport(handler))

    assert client.list_tags(parse_reference("python")) == ["3.12"]
    assert requested[-1] == "https://registry-1.docker.io/v2/library/python/tags/list"


def test_index_media_type_comes_from_the_header_when_the_body_has_none(make_client):
    raw = b'{"schemaVersion": 2, "manifests": []}'
    transport = open_registry(
        {
            "/v2/team/app/manifests/1.0": lambda r: httpx.Response(
                200, headers={"Content-Type": OCI_INDEX}, content=raw
            )
        }
    )

    assert make_client(transport=transport).get_manifest(REF).is_index


def test_clients_sharing_blobs_read_a_config_once(registry, make_client):
    registry.push_image("team/app", "1.0")
    registry.push_image("team/app", "1.1", layers=(b"other layer",))  # the same config
    blobs: dict = {}
    first, second = make_client(blobs=blobs), make_client(blobs=blobs)
    configs = [
        client.get_blob(ref, client.get_manifest(ref).config.digest)
        for client, ref in ((first, REF), (second, REF.with_tag("1.1")))
    ]
    assert configs[0] == configs[1]
    assert sum("/blobs/" in path for path in registry.paths()) == 1
    # Without a shared cache, each client reads it.
    alone = make_client()
    alone.get_blob(REF, alone.get_manifest(REF).config.digest)
    assert sum("/blobs/" in path for path in registry.paths()) == 2


def test_a_blob_that_fails_verification_is_not_kept(make_client):
    digest = sha256(b"expected")
    transport = open_registry(
        {f"/v2/team/app/blobs/{digest}": lambda r: httpx.Response(200, content=b"tampered")}
    )
    blobs: dict = {}
    client = make_client(transport=transport, blobs=blobs)
    for _ in range(2):
        with pytest.raises(DigestMismatch):
            client.get_blob(REF, digest)
    assert blobs == {}
