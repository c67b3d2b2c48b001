"""Deterministic test images, built in memory (no docker): OCI or Docker v2 schema 2.

Same arguments -> same bytes -> same digests; a different `text` changes the
layer content and so every digest above it. Pushing lives in `images.py`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Format = Literal["oci", "docker"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
# Send all four on every manifest HEAD/GET: 2.8 404s OCI types and downgrades Docker ones otherwise.
ACCEPT_ALL = ", ".join((DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX))

_MEDIA_TYPES: dict[str, dict[str, str]] = {
    "oci": {
        "manifest": OCI_MANIFEST,
        "index": OCI_INDEX,
        "config": "application/vnd.oci.image.config.v1+json",
        "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
    },
    "docker": {
        "manifest": DOCKER_MANIFEST,
        "index": DOCKER_LIST,
        "config": "application/vnd.docker.container.image.v1+json",
        "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    },
}


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class ImageConfig:
    """The image config fields tests care about (the `config` object of the image JSON)."""

    architecture: str = "amd64"
    os: str = "linux"
    variant: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] | Sequence[str] = ()
    cmd: Sequence[str] | None = None
    entrypoint: Sequence[str] | None = None
    exposed_ports: Sequence[str] = ()  # "8080/tcp"; a bare "8080" means tcp
    user: str | None = None
    workdir: str | None = None
    volumes: Sequence[str] = ()
    created: str = "2024-01-01T00:00:00Z"

    @property
    def platform(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def for_platform(self, platform: str) -> ImageConfig:
        """Copy for 'os/arch[/variant]', e.g. 'linux/arm64/v8'."""
        os_, arch, *variant = platform.split("/")
        return replace(self, os=os_, architecture=arch, variant=variant[0] if variant else None)


@dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


@dataclass(frozen=True)
class Manifest:
    """A manifest (blobs = config then layers) or an index/list (children = manifests)."""

    media_type: str
    data: bytes
    blobs: tuple[Blob, ...] = ()
    children: tuple[Manifest, ...] = ()
    platform: str | None = None

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    @property
    def is_index(self) -> bool:
        return bool(self.children)

    def json(self) -> dict[str, Any]:
        return json.loads(self.data)


def build_image(
    config: ImageConfig | None = None, *, fmt: Format = "oci", text: str = "", layers: int = 1
) -> Manifest:
    """One single-arch image with 1 or 2 small gzip layers derived from `text`."""
    if layers not in (1, 2):
        raise ValueError("layers must be 1 or 2")
    config = config or ImageConfig()
    types = _MEDIA_TYPES[fmt]
    tars = [_tar({"lab/content.txt": f"{text}\n{config.platform}\n"})]
    if layers == 2:
        tars.append(_tar({"lab/extra.txt": f"extra layer for {text!r}\n"}))
    layer_blobs = [Blob(types["layer"], gzip.compress(t, mtime=0)) for t in tars]
    config_blob = Blob(types["config"], canonical_json(_config_doc(config, tars)))
    manifest = {
        "schemaVersion": 2,
        "mediaType": types["manifest"],
        "config": config_blob.descriptor(),
        "layers": [b.descriptor() for b in layer_blobs],
    }
    return Manifest(
        types["manifest"],
        canonical_json(manifest),
        blobs=(config_blob, *layer_blobs),
        platform=config.platform,
    )


def build_index(
    platforms: Sequence[str],
    config: ImageConfig | None = None,
    *,
    fmt: Format = "oci",
    text: str = "",
    layers: int = 1,
) -> Manifest:
    """An OCI index or Docker manifest list with one child image per platform."""
    base = config or ImageConfig()
    children = tuple(
        build_image(base.for_platform(p), fmt=fmt, text=text, layers=layers) for p in platforms
    )
    index = {
        "schemaVersion": 2,
        "mediaType": _MEDIA_TYPES[fmt]["index"],
        "manifests": [_platform_descriptor(child) for child in children],
    }
    return Manifest(_MEDIA_TYPES[fmt]["index"], canonical_json(index), children=children)


def _platform_descriptor(child: Manifest) -> dict[str, Any]:
    assert child.platform is not None
    os_, arch, *variant = child.platform.split("/")
    platform = {"architecture": arch, "os": os_}
    if variant:
        platform["variant"] = variant[0]
    return {
        "mediaType": child.media_type,
        "digest": child.digest,
        "size": len(child.data),
        "platform": platform,
    }


def _tar(files: Mapping[str, str]) -> bytes:
    """An uncompressed tar with fixed metadata, so equal input gives equal bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path, content in sorted(files.items()):
            data = content.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _config_doc(config: ImageConfig, tars: Sequence[bytes]) -> dict[str, Any]:
    env = config.env
    if isinstance(env, Mapping):
        env = [f"{k}={v}" for k, v in env.items()]
    ports = {(p if "/" in p else f"{p}/tcp"): {} for p in config.exposed_ports}
    container: dict[str, Any] = {
        "Env": list(env) or None,
        "Cmd": list(config.cmd) if config.cmd is not None else None,
        "Entrypoint": list(config.entrypoint) if config.entrypoint is not None else None,
        "Labels": dict(config.labels) or None,
        "ExposedPorts": ports or None,
        "User": config.user,
        "WorkingDir": config.workdir,
        "Volumes": {v: {} for v in config.volumes} or None,
    }
    doc: dict[str, Any] = {
        "architecture": config.architecture,
        "os": config.os,
        "created": config.created,
        "config": {k: v for k, v in container.items() if v is not None},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(t) for t in tars]},
        "history": [
            {"created": config.created, "created_by": f"registry-lab layer {i}"}
            for i in range(len(tars))
        ],
    }
    if config.variant:
        doc["variant"] = config.variant
    return doc
