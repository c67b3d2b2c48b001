"""Manifest and image-config parsing (Docker v2 schema 2, OCI, and their indexes).

Reference: https://github.com/opencontainers/image-spec/blob/main/manifest.md
and https://distribution.github.io/distribution/spec/manifest-v2-2/
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import InvalidManifest
from .reference import is_digest

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"

IMAGE_MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED})

# Sent on every manifest HEAD/GET. Leaving a type out makes registries answer
# 404 (OCI types) or silently convert to schema 1 / a single platform with a
# different digest (Docker types), so all four must always be present.
MANIFEST_ACCEPT = ", ".join([DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX])

# The same cap as containerd and Distribution: manifests are small documents.
MAX_MANIFEST_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Platform:
    architecture: str
    os: str
    variant: str = ""

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None


@dataclass
class ParsedManifest:
    media_type: str
    digest: str
    raw: bytes
    config: Descriptor | None
    layers: list[Descriptor]
    children: list[Descriptor]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


@dataclass
class ImageConfig:
    architecture: str = ""
    os: str = ""
    variant: str = ""
    created: datetime | None = None
    author: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    env: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    exposed_ports: list[str] = field(default_factory=list)
    user: str = ""
    working_dir: str = ""
    volumes: list[str] = field(default_factory=list)


def digest_of(raw: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, raw).hexdigest()}"


def parse_manifest(raw: bytes, media_type: str, digest: str) -> ParsedManifest:
    """Parse a manifest body; ``media_type`` is the response Content-Type."""
    if len(raw) > MAX_MANIFEST_SIZE:
        raise InvalidManifest(
            f"manifest {digest} is {len(raw)} bytes, larger than the {MAX_MANIFEST_SIZE} byte limit"
        )
    body = _load_json_object(raw, f"manifest {digest}")
    kind = _manifest_kind(body, media_type)
    if kind in SCHEMA1_TYPES:
        raise InvalidManifest(f"manifest {digest}: schema 1 manifests are not supported")
    if kind in INDEX_TYPES:
        children = [_descriptor(item, digest) for item in _list_field(body, "manifests", digest)]
        return ParsedManifest(kind, digest, raw, config=None, layers=[], children=children)
    if kind in IMAGE_MANIFEST_TYPES:
        config = _descriptor(body.get("config"), digest)
        layers = [_descriptor(item, digest) for item in _list_field(body, "layers", digest)]
        return ParsedManifest(kind, digest, raw, config=config, layers=layers, children=[])
    raise InvalidManifest(f'manifest {digest} has unsupported media type "{kind}"')


def parse_config(raw: bytes) -> ImageConfig:
    """Parse the image config blob (the JSON that holds env, labels, cmd...)."""
    body = _load_json_object(raw, "image config")
    # "config" holds the runtime settings; "container_config" is build-time
    # noise from the last build step and is deliberately ignored.
    runtime = _mapping(body.get("config"))
    return ImageConfig(
        architecture=_text(body.get("architecture")),
        os=_text(body.get("os")),
        variant=_text(body.get("variant")),
        created=_timestamp(body.get("created")),
        author=_text(body.get("author")),
        labels=_labels(runtime.get("Labels")),
        env=_strings(runtime.get("Env")),
        cmd=_strings(runtime.get("Cmd")),
        entrypoint=_strings(runtime.get("Entrypoint")),
        exposed_ports=sorted(str(port) for port in _mapping(runtime.get("ExposedPorts"))),
        user=_text(runtime.get("User")),
        working_dir=_text(runtime.get("WorkingDir")),
        volumes=sorted(str(path) for path in _mapping(runtime.get("Volumes"))),
    )


def select_platform(
    children: list[Descriptor], *, prefer_arch: str = "", prefer_os: str = ""
) -> Descriptor:
    """Pick one entry of an index the way OpenShift's Legacy import mode does.

    Order: the preferred os/arch, then linux/amd64, then the first entry. An
    unset preference falls back to linux or amd64, which is what OpenShift does
    on its (linux/amd64) control plane.
    """
    if not children:
        raise InvalidManifest("the manifest list has no entries to choose from")
    wanted_arch, wanted_os = prefer_arch or "amd64", prefer_os or "linux"
    for wanted in ((wanted_arch, wanted_os), ("amd64", "linux")):
        for child in children:
            if child.platform and (child.platform.architecture, child.platform.os) == wanted:
                return child
    # Buildx attestations are listed as unknown/unknown; never pick one of
    # those as "the image" when a real platform is available.
    real = [c for c in children if not c.platform or c.platform.os != "unknown"]
    return (real or children)[0]


def _load_json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidManifest(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidManifest(f"{what} is not a JSON object")
    return body


def _manifest_kind(body: dict[str, Any], header_type: str) -> str:
    declared = body.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header_type = header_type.split(";", 1)[0].strip().lower()
    known = IMAGE_MANIFEST_TYPES | INDEX_TYPES | SCHEMA1_TYPES
    if header_type in known:
        return header_type
    # OCI documents may omit mediaType (umoci does) and some registries send
    # a generic Content-Type, so fall back to the document's shape.
    if body.get("schemaVersion") == 1 or "fsLayers" in body:
        return DOCKER_SCHEMA1
    if "manifests" in body:
        return OCI_INDEX
    if "config" in body:
        return OCI_MANIFEST
    return header_type or "(none)"


def _list_field(body: dict[str, Any], name: str, digest: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidManifest(f'manifest {digest}: "{name}" is not a list')
    return value


def _descriptor(item: Any, digest: str) -> Descriptor:
    if not isinstance(item, dict):
        raise InvalidManifest(f"manifest {digest}: a descriptor is missing or not an object")
    target, size = item.get("digest"), item.get("size")
    if not isinstance(target, str) or not is_digest(target):
        raise InvalidManifest(f"manifest {digest}: invalid descriptor digest {target!r}")
    # bool is an int subclass in Python; JSON true must not pass as a size.
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidManifest(f"manifest {digest}: invalid size {size!r} for {target}")
    platform = item.get("platform")
    return Descriptor(
        media_type=_text(item.get("mediaType")),
        digest=target,
        size=size,
        platform=_platform(platform) if isinstance(platform, dict) else None,
    )


def _platform(value: dict[str, Any]) -> Platform:
    return Platform(
        architecture=_text(value.get("architecture")),
        os=_text(value.get("os")),
        variant=_text(value.get("variant")),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _labels(value: Any) -> dict[str, str]:
    return {str(key): "" if item is None else str(item) for key, item in _mapping(value).items()}


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    # Docker accepts a bare string for Cmd/Entrypoint (shell form).
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
