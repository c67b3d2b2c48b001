"""Push deterministic test images to a registry with plain httpx (no docker, no skopeo).

    with Pusher(registry.url) as p:
        result = p.push_image("library/python", "3.12", labels={"v": "1"}, text="build 1")
        result.digest  # sha256:… of the manifest as stored

Wire sequence per blob (Distribution 2.8 has no single-request upload):
HEAD blob -> POST uploads/ -> PUT <Location>&digest=…; then PUT the manifest by
tag (children of an index first, by digest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .auth import RegistryAuth
from .build import (
    ACCEPT_ALL,
    Blob,
    Format,
    ImageConfig,
    Manifest,
    build_image,
    build_index,
)
from .net import REQUEST_TIMEOUT

__all__ = [
    "ACCEPT_ALL",
    "ImageConfig",
    "Manifest",
    "PushError",
    "PushResult",
    "Pusher",
    "build_image",
    "build_index",
    "delete_manifest",
]


class PushError(RuntimeError):
    pass


@dataclass(frozen=True)
class PushResult:
    host: str  # "127.0.0.1:PORT", as used in image references
    repository: str
    tag: str | None
    manifest: Manifest
    # "linux/arm64/v8" -> child manifest digest, for an index or list; empty otherwise.
    children: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def media_type(self) -> str:
        return self.manifest.media_type

    @property
    def child_digests(self) -> list[str]:
        return list(self.children.values())

    @property
    def reference(self) -> str:
        """'host/repo:tag' (or the pinned form when pushed without a tag)."""
        return f"{self.host}/{self.repository}:{self.tag}" if self.tag else self.pinned

    @property
    def pinned(self) -> str:
        return f"{self.host}/{self.repository}@{self.digest}"


class Pusher:
    """A small registry client for tests; `username`/`password` work for Basic and token auth."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=RegistryAuth(username, password),
            timeout=timeout,
        )
        self.host = self.client.base_url.netloc.decode()

    # -- high level ------------------------------------------------------------------------
    def push_image(
        self,
        repository: str,
        tag: str | None,
        *,
        fmt: Format = "oci",
        platforms: Sequence[str] | None = None,
        text: str = "",
        layers: int = 1,
        **config: Any,
    ) -> PushResult:
        """Build and push. `platforms` (e.g. ["linux/amd64", "linux/arm64/v8"]) makes an
        OCI index / Docker manifest list; `config` takes ImageConfig fields."""
        image_config = ImageConfig(**config)
        if platforms:
            manifest = build_index(platforms, image_config, fmt=fmt, text=text, layers=layers)
        else:
            manifest = build_image(image_config, fmt=fmt, text=text, layers=layers)
        return self.push(repository, tag, manifest)

    def push(self, repository: str, tag: str | None, manifest: Manifest) -> PushResult:
        """Push a built manifest (and everything it references) under `tag` (None: by digest)."""
        children = {}
        for child in manifest.children:
            # An index may only reference manifests already in the repository.
            self.push_manifest(repository, child, child.digest)
            children[child.platform or child.digest] = child.digest
        self.push_manifest(repository, manifest, tag or manifest.digest)
        return PushResult(self.host, repository, tag, manifest, children)

    # -- building blocks -------------------------------------------------------------------
    def push_manifest(self, repository: str, manifest: Manifest, reference: str) -> str:
        for blob in manifest.blobs:
            self.push_blob(repository, blob)
        response = self.client.put(
            f"/v2/{repository}/manifests/{reference}",
            content=manifest.data,
            # Must be the manifest's own media type; application/json is a 400.
            headers={"Content-Type": manifest.media_type},
        )
        _expect(response, 201)
        stored = response.headers.get("Docker-Content-Digest")
        if stored != manifest.digest:
            raise PushError(f"registry stored {stored}, expected {manifest.digest}")
        return manifest.digest

    def push_blob(self, repository: str, blob: Blob) -> None:
        if self.client.head(f"/v2/{repository}/blobs/{blob.digest}").status_code == 200:
            return
        started = self.client.post(f"/v2/{repository}/blobs/uploads/")
        _expect(started, 202)
        location = self.client.base_url.join(started.headers["Location"])
        # Merge, not params=: httpx would replace the query and drop the signed `_state`.
        upload_url = location.copy_merge_params({"digest": blob.digest})
        done = self.client.put(
            upload_url,
            content=blob.data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _expect(done, 201)

    def resolve(self, repository: str, reference: str) -> str | None:
        """Digest the registry serves for a tag or digest, None if unknown."""
        response = self.client.head(
            f"/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT_ALL}
        )
        if response.status_code == 404:
            return None
        _expect(response, 200)
        return response.headers["Docker-Content-Digest"]

    def fetch(self, repository: str, reference: str) -> tuple[str, bytes]:
        """(Content-Type, raw manifest bytes)."""
        response = self.client.get(
            f"/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT_ALL}
        )
        _expect(response, 200)
        return response.headers["Content-Type"], response.content

    def tags(self, repository: str) -> list[str]:
        response = self.client.get(f"/v2/{repository}/tags/list")
        _expect(response, 200)
        return sorted(response.json().get("tags") or [])  # 2.8 returns them unsorted

    def delete(self, repository: str, digest: str) -> None:
        """Delete a manifest by digest; every tag pointing at it goes too (2.8 can't untag)."""
        response = self.client.delete(f"/v2/{repository}/manifests/{digest}")
        _expect(response, 202)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def delete_manifest(
    base_url: str,
    repository: str,
    digest: str,
    *,
    username: str | None = None,
    password: str | None = None,
) -> None:
    with Pusher(base_url, username=username, password=password) as pusher:
        pusher.delete(repository, digest)


def _expect(response: httpx.Response, *statuses: int) -> None:
    if response.status_code not in statuses:
        request = response.request
        raise PushError(
            f"{request.method} {request.url} -> {response.status_code}: {response.text[:500]}"
        )
