from __future__ import annotations

import ast
from pathlib import Path

import pytest

from imagestreams.registry import (
    InvalidManifest,
    NotFound,
    Platform,
    RegistryError,
    fetch_image,
    parse_reference,
)
from imagestreams.registry.manifests import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX
from tests.registry.fakes import REGISTRY_HOST, make_config, sha256

REF = parse_reference(f"{REGISTRY_HOST}/team/app:1.0")
PLATFORMS = [("amd64", "linux", ""), ("arm64", "linux", "v8"), ("s390x", "linux", "")]


def test_single_image_is_fetched_with_its_config(registry, make_client):
    digest = registry.push_image(
        "team/app", "1.0", labels={"version": "1.0"}, layers=(b"base", b"app", b"base")
    )

    result = fetch_image(make_client(), REF)

    image = result.image
    assert image is not None
    assert result.upstream_digest == image.digest == digest
    assert image.manifest == registry.manifests[("team/app", digest)][1]
    assert image.config is not None and image.config.labels == {"version": "1.0"}
    assert image.config_raw == make_config(labels={"version": "1.0"})
    assert [layer.digest for layer in image.layers] == [
        sha256(b"base"),
        sha256(b"app"),
        sha256(b"base"),
    ]
    # Config plus each distinct layer once, as OpenShift counts it.
    assert image.size == len(image.config_raw) + len(b"base") + len(b"app")
    assert image.platform == Platform("amd64", "linux")
    assert image.children == []
    assert not result.unchanged


def test_docker_schema2_images_are_fetched_too(registry, make_client):
    registry.push_image("team/app", "1.0", media_type=DOCKER_MANIFEST)

    image = fetch_image(make_client(), REF).image

    assert image is not None and image.media_type == DOCKER_MANIFEST
    assert image.config is not None and image.config.cmd == ["python3"]


def test_unchanged_tag_costs_exactly_one_request(registry, make_client):
    registry.auth = "bearer"
    first = registry.push_image("team/app", "1.0")
    second = registry.push_image("team/app", "2.0", labels={"v": "2"})
    client = make_client()
    fetch_image(client, REF)  # warms the ping and the token, like earlier tags of a batch
    before = len(registry.requests)

    unchanged_first = fetch_image(client, REF, known_upstream_digest=first)
    unchanged_second = fetch_image(client, REF.with_tag("2.0"), known_upstream_digest=second)

    assert (unchanged_first.upstream_digest, unchanged_first.image) == (first, None)
    assert unchanged_second.unchanged and unchanged_second.upstream_digest == second
    assert registry.paths()[before:] == [
        "HEAD /v2/team/app/manifests/1.0",
        "HEAD /v2/team/app/manifests/2.0",
    ]


def test_a_cold_unchanged_check_only_adds_the_ping_and_the_token(registry, make_client):
    registry.auth = "bearer"
    digest = registry.push_image("team/app", "1.0")

    result = fetch_image(make_client(), REF, known_upstream_digest=digest)

    assert result.unchanged
    assert registry.paths() == ["GET /v2/", "GET /token", "HEAD /v2/team/app/manifests/1.0"]


def test_a_changed_digest_is_fetched_by_digest(registry, make_client):
    digest = registry.push_image("team/app", "1.0")

    result = fetch_image(make_client(), REF, known_upstream_digest="sha256:" + "0" * 64)

    assert result.image is not None and result.image.digest == digest
    assert f"GET /v2/team/app/manifests/{digest}" in registry.paths()


@pytest.mark.parametrize("media_type", [OCI_INDEX, DOCKER_MANIFEST_LIST])
def test_legacy_mode_imports_the_linux_amd64_child(registry, make_client, media_type):
    index_digest, children = registry.push_index(
        "team/app", "1.0", PLATFORMS, media_type=media_type
    )

    result = fetch_image(make_client(), REF)

    assert result.upstream_digest == index_digest
    assert result.image is not None
    assert result.image.digest == children[0]
    assert result.image.platform == Platform("amd64", "linux")
    assert result.image.config is not None and result.image.config.architecture == "amd64"
    assert result.image.children == []


def test_legacy_mode_honours_the_preferred_platform(registry, make_client):
    _, children = registry.push_index("team/app", "1.0", PLATFORMS)

    image = fetch_image(make_client(), REF, prefer_arch="arm64", prefer_os="linux").image

    assert image is not None and image.digest == children[1]
    assert image.platform == Platform("arm64", "linux", "v8")
    # Only the chosen child and its config are downloaded.
    fetched = [path for path in registry.paths() if path.startswith("GET /v2/team")]
    assert len(fetched) == 3


def test_preserve_original_imports_the_index_and_every_child(registry, make_client):
    index_digest, children = registry.push_index("team/app", "1.0", PLATFORMS)

    result = fetch_image(make_client(), REF, import_mode="PreserveOriginal")

    image = result.image
    assert image is not None
    assert image.digest == result.upstream_digest == index_digest
    assert image.media_type == OCI_INDEX
    assert (image.config, image.config_raw, image.layers, image.size) == (None, b"", [], 0)
    assert [descriptor.digest for descriptor, _ in image.children] == children
    for (descriptor, child), (arch, _, variant) in zip(image.children, PLATFORMS, strict=True):
        assert child.digest == descriptor.digest
        assert child.config is not None and child.config.architecture == arch
        assert child.platform == Platform(arch, "linux", variant)
        assert child.size > 0


def test_empty_index_cannot_be_imported(registry, make_client):
    registry.push_index("team/app", "1.0", [])

    with pytest.raises(InvalidManifest, match="has no entries"):
        fetch_image(make_client(), REF)


def test_index_inside_an_index_is_refused(registry, make_client):
    inner_digest, _ = registry.push_index("team/app", "inner", PLATFORMS[:1])
    inner_raw = registry.manifests[("team/app", inner_digest)][1]
    outer = (
        b'{"schemaVersion": 2, "mediaType": "%s", "manifests": [{"mediaType": "%s", '
        b'"digest": "%s", "size": %d, "platform": {"architecture": "amd64", "os": "linux"}}]}'
        % (OCI_INDEX.encode(), OCI_INDEX.encode(), inner_digest.encode(), len(inner_raw))
    )
    registry.put_manifest("team/app", "1.0", outer, OCI_INDEX)

    with pytest.raises(InvalidManifest, match="index inside an index"):
        fetch_image(make_client(), REF)


def test_unknown_import_mode_is_invalid(registry, make_client):
    with pytest.raises(RegistryError) as caught:
        fetch_image(make_client(), REF, import_mode="Sometimes")

    assert caught.value.reason == "Invalid"
    assert not registry.requests


def test_errors_from_the_registry_propagate(registry, make_client):
    with pytest.raises(NotFound, match="not found: manifest unknown"):
        fetch_image(make_client(), REF)


def test_missing_config_blob_is_not_found(registry, make_client):
    digest = registry.push_image("team/app", "1.0")
    config_digest = sha256(make_config())
    del registry.blobs[("team/app", config_digest)]

    with pytest.raises(NotFound) as caught:
        fetch_image(make_client(), REF)

    assert caught.value.message == (
        f'blob {config_digest} of image "{REGISTRY_HOST}/team/app@{digest}" not found: '
        "blob unknown to registry"
    )


def test_the_registry_layer_does_not_import_django():
    package = Path(__file__).resolve().parents[2] / "imagestreams" / "registry"
    imported: set[str] = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)

    assert imported, "no modules found"
    assert not {name for name in imported if name.split(".")[0] in {"django", "rest_framework"}}
