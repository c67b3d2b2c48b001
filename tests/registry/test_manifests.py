from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from imagestreams.registry import (
    MANIFEST_ACCEPT,
    Descriptor,
    InvalidManifest,
    Platform,
    digest_of,
    parse_config,
    parse_manifest,
    select_platform,
)
from imagestreams.registry.manifests import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA1_SIGNED,
    MAX_MANIFEST_SIZE,
    OCI_INDEX,
    OCI_MANIFEST,
)
from tests.registry.fakes import make_config, make_index, make_manifest, sha256

CONFIG = make_config()
LAYERS = [b"base layer", b"app layer"]


def test_accept_header_lists_all_four_manifest_types():
    for media_type in (DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX):
        assert media_type in MANIFEST_ACCEPT
    assert "prettyjws" not in MANIFEST_ACCEPT


def test_digest_of_is_sha256_of_the_exact_bytes():
    assert digest_of(b"hello") == (
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    )


@pytest.mark.parametrize("media_type", [OCI_MANIFEST, DOCKER_MANIFEST])
def test_it_parses_single_image_manifests(media_type):
    raw = make_manifest(CONFIG, LAYERS, media_type=media_type)

    manifest = parse_manifest(raw, media_type, sha256(raw))

    assert manifest.media_type == media_type
    assert manifest.digest == sha256(raw)
    assert manifest.raw == raw
    assert not manifest.is_index
    assert manifest.config is not None
    assert (manifest.config.digest, manifest.config.size) == (sha256(CONFIG), len(CONFIG))
    assert [layer.digest for layer in manifest.layers] == [sha256(layer) for layer in LAYERS]
    assert [layer.size for layer in manifest.layers] == [len(layer) for layer in LAYERS]
    assert manifest.children == []


def test_oci_manifest_without_body_media_type_uses_the_header():
    raw = make_manifest(CONFIG, LAYERS, declare=False)

    manifest = parse_manifest(raw, f"{OCI_MANIFEST}; charset=utf-8", "sha256:" + "0" * 64)

    assert manifest.media_type == OCI_MANIFEST


def test_oci_manifest_without_any_media_type_is_recognised_by_shape():
    raw = make_manifest(CONFIG, LAYERS, declare=False)

    assert parse_manifest(raw, "application/json", sha256(raw)).media_type == OCI_MANIFEST
    assert parse_manifest(raw, "", sha256(raw)).media_type == OCI_MANIFEST


def test_body_media_type_wins_over_the_header():
    raw = make_manifest(CONFIG, LAYERS, media_type=DOCKER_MANIFEST)

    assert parse_manifest(raw, OCI_MANIFEST, sha256(raw)).media_type == DOCKER_MANIFEST


@pytest.mark.parametrize("media_type", [OCI_INDEX, DOCKER_MANIFEST_LIST])
def test_it_parses_indexes_with_platforms(media_type):
    amd = make_manifest(CONFIG, LAYERS)
    arm = make_manifest(make_config("arm64", variant="v8"), LAYERS)
    raw = make_index(
        [(amd, "amd64", "linux", ""), (arm, "arm64", "linux", "v8")], media_type=media_type
    )

    manifest = parse_manifest(raw, media_type, sha256(raw))

    assert manifest.is_index
    assert manifest.config is None
    assert manifest.layers == []
    assert [child.digest for child in manifest.children] == [sha256(amd), sha256(arm)]
    assert [str(child.platform) for child in manifest.children] == ["linux/amd64", "linux/arm64/v8"]


def test_index_without_media_type_is_recognised_by_shape():
    raw = json.dumps({"schemaVersion": 2, "manifests": []}).encode()

    manifest = parse_manifest(raw, "application/json", sha256(raw))

    assert manifest.media_type == OCI_INDEX
    assert manifest.children == []


@pytest.mark.parametrize(
    ("raw", "header", "message"),
    [
        (b"{not json", OCI_MANIFEST, "is not valid JSON"),
        (b"[1, 2]", OCI_MANIFEST, "is not a JSON object"),
        (
            b'{"schemaVersion": 1, "fsLayers": []}',
            DOCKER_SCHEMA1_SIGNED,
            "schema 1 manifests are not supported",
        ),
        (
            b'{"schemaVersion": 1, "fsLayers": []}',
            "application/json",
            "schema 1 manifests are not supported",
        ),
        (
            b'{"mediaType": "application/vnd.oci.artifact.manifest.v1+json"}',
            "",
            'unsupported media type "application/vnd.oci.artifact.manifest.v1+json"',
        ),
        (b'{"mediaType": "%s"}' % OCI_MANIFEST.encode(), "", "descriptor is missing"),
        (
            b'{"mediaType": "%s", "config": {"digest": "sha256:abc", "size": 1}}'
            % OCI_MANIFEST.encode(),
            "",
            "invalid descriptor digest",
        ),
        (
            b'{"mediaType": "%s", "config": {"digest": "%s", "size": -1}}'
            % (OCI_MANIFEST.encode(), sha256(b"x").encode()),
            "",
            "invalid size -1",
        ),
        (
            b'{"mediaType": "%s", "config": {"digest": "%s", "size": true}}'
            % (OCI_MANIFEST.encode(), sha256(b"x").encode()),
            "",
            "invalid size True",
        ),
        (
            b'{"mediaType": "%s", "manifests": {}}' % OCI_INDEX.encode(),
            "",
            '"manifests" is not a list',
        ),
    ],
)
def test_it_rejects_bad_manifests(raw, header, message):
    with pytest.raises(InvalidManifest) as caught:
        parse_manifest(raw, header, "sha256:" + "0" * 64)

    assert message in caught.value.message
    assert caught.value.reason == "InternalError"


def test_it_rejects_oversized_manifests():
    raw = b" " * (MAX_MANIFEST_SIZE + 1)

    with pytest.raises(InvalidManifest, match="larger than the 4194304 byte limit"):
        parse_manifest(raw, OCI_MANIFEST, "sha256:" + "0" * 64)


def test_it_parses_the_image_config():
    raw = json.dumps(
        {
            "architecture": "arm64",
            "os": "linux",
            "variant": "v8",
            "created": "2020-09-05T10:11:12.123456789Z",
            "author": "reglab",
            "config": {
                "Labels": {"org.opencontainers.image.version": "3.6.15"},
                "Env": ["PYTHON_VERSION=3.6.15"],
                "Cmd": ["python3"],
                "Entrypoint": ["/entrypoint.sh"],
                "ExposedPorts": {"8080/tcp": {}, "443/tcp": {}},
                "User": "1001",
                "WorkingDir": "/app",
                "Volumes": {"/data": {}},
            },
            "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) build step"]},
        }
    ).encode()

    config = parse_config(raw)

    assert (config.architecture, config.os, config.variant) == ("arm64", "linux", "v8")
    assert config.created == datetime(2020, 9, 5, 10, 11, 12, 123456, tzinfo=UTC)
    assert config.author == "reglab"
    assert config.labels == {"org.opencontainers.image.version": "3.6.15"}
    assert config.env == ["PYTHON_VERSION=3.6.15"]
    assert config.cmd == ["python3"]
    assert config.entrypoint == ["/entrypoint.sh"]
    assert config.exposed_ports == ["443/tcp", "8080/tcp"]
    assert (config.user, config.working_dir, config.volumes) == ("1001", "/app", ["/data"])


def test_config_parsing_tolerates_missing_and_odd_fields():
    raw = json.dumps(
        {"created": "not a date", "config": {"Cmd": "echo hi", "Labels": None, "Env": None}}
    ).encode()

    config = parse_config(raw)

    assert config.created is None
    assert config.cmd == ["echo hi"]
    assert config.labels == {}
    assert config.env == []
    assert config.architecture == ""


def test_config_without_timezone_is_read_as_utc():
    config = parse_config(b'{"created": "2021-01-01T00:00:00"}')

    assert config.created == datetime(2021, 1, 1, tzinfo=UTC)


def test_config_that_is_not_json_is_an_invalid_manifest():
    with pytest.raises(InvalidManifest, match="image config is not valid JSON"):
        parse_config(b"\x00\x01")


def _child(arch: str, os: str = "linux", variant: str = "") -> Descriptor:
    return Descriptor(
        OCI_MANIFEST, sha256(f"{os}/{arch}/{variant}".encode()), 1, Platform(arch, os, variant)
    )


CHILDREN = [
    _child("arm", variant="v7"),
    _child("arm64", variant="v8"),
    _child("amd64"),
    _child("s390x"),
]


def test_select_platform_prefers_the_requested_platform():
    assert select_platform(CHILDREN, prefer_arch="s390x", prefer_os="linux") is CHILDREN[3]


def test_select_platform_fills_an_unset_preference_with_linux_or_amd64():
    assert select_platform(CHILDREN, prefer_arch="arm64") is CHILDREN[1]
    windows = [_child("amd64", "windows"), _child("amd64", "linux")]
    assert select_platform(windows, prefer_os="windows") is windows[0]


def test_select_platform_falls_back_to_linux_amd64():
    assert select_platform(CHILDREN) is CHILDREN[2]
    assert select_platform(CHILDREN, prefer_arch="riscv64") is CHILDREN[2]


def test_select_platform_falls_back_to_the_first_entry():
    children = [_child("ppc64le"), _child("s390x")]

    assert select_platform(children) is children[0]


def test_select_platform_never_picks_an_attestation_when_an_image_exists():
    children = [_child("unknown", "unknown"), _child("ppc64le")]

    assert select_platform(children) is children[1]


def test_select_platform_needs_entries():
    with pytest.raises(InvalidManifest, match="no entries"):
        select_platform([])
