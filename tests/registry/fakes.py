"""An in-memory Distribution registry (plus token server) behind httpx.MockTransport.

It behaves like the real thing where our client depends on it: the /v2/ ping,
Bearer and Basic challenges, the token endpoint, Docker-Content-Digest
headers, registry error bodies and HEAD answers without a body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field

import httpx

from imagestreams.registry.manifests import (
    DOCKER_CONFIG,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
)

REGISTRY_HOST = "registry.example.com"
AUTH_HOST = "auth.example.com"
TOKEN_REALM = f"https://{AUTH_HOST}/token"
USERS = {"alice": "s3cret", "bob": "hunter2"}

_MANIFEST_OR_BLOB = re.compile(r"^/v2/(?P<repo>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")
_TAGS = re.compile(r"^/v2/(?P<repo>.+)/tags/list$")


def sha256(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def make_config(
    arch: str = "amd64", os: str = "linux", variant: str = "", labels: dict | None = None
) -> bytes:
    document = {
        "architecture": arch,
        "os": os,
        "created": "2020-09-05T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["python3"], "Labels": labels or {}},
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    if variant:
        document["variant"] = variant
    return json.dumps(document, sort_keys=True).encode()


def make_manifest(
    config: bytes, layers: list[bytes], *, media_type: str = OCI_MANIFEST, declare: bool = True
) -> bytes:
    docker = media_type == DOCKER_MANIFEST
    layer_type = (
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
        if docker
        else "application/vnd.oci.image.layer.v1.tar+gzip"
    )
    document: dict = {
        "schemaVersion": 2,
        "config": {
            "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
            "digest": sha256(config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": layer_type, "digest": sha256(layer), "size": len(layer)}
            for layer in layers
        ],
    }
    if declare:
        document["mediaType"] = media_type
    return json.dumps(document, sort_keys=True).encode()


def make_index(
    children: list[tuple[bytes, str, str, str]], *, media_type: str = OCI_INDEX
) -> bytes:
    """``children`` holds (manifest bytes, arch, os, variant)."""
    child_type = DOCKER_MANIFEST if media_type == DOCKER_MANIFEST_LIST else OCI_MANIFEST
    entries = []
    for raw, arch, os, variant in children:
        platform = {"architecture": arch, "os": os}
        if variant:
            platform["variant"] = variant
        entries.append(
            {"mediaType": child_type, "digest": sha256(raw), "size": len(raw), "platform": platform}
        )
    document = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
    return json.dumps(document, sort_keys=True).encode()


@dataclass
class FakeRegistry:
    host: str = REGISTRY_HOST
    auth: str | None = None  # None, "bearer" or "basic"
    # repository -> users allowed to pull it; repositories not listed are public.
    private: dict[str, set[str]] = field(default_factory=dict)
    omit_digest_on_head: bool = False
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    blobs: dict[tuple[str, str], bytes] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> user ("" = anonymous)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- content ------------------------------------------------------------

    def put_manifest(self, repo: str, tag: str | None, raw: bytes, media_type: str) -> str:
        digest = sha256(raw)
        self.manifests[(repo, digest)] = (media_type, raw)
        if tag:
            self.manifests[(repo, tag)] = (media_type, raw)
            self.tags.setdefault(repo, []).append(tag)
        return digest

    def push_image(
        self,
        repo: str,
        tag: str | None,
        *,
        arch: str = "amd64",
        os: str = "linux",
        variant: str = "",
        labels: dict | None = None,
        layers: tuple[bytes, ...] = (b"layer-one", b"layer-two"),
        media_type: str = OCI_MANIFEST,
    ) -> str:
        config = make_config(arch, os, variant, labels)
        for blob in (config, *layers):
            self.blobs[(repo, sha256(blob))] = blob
        raw = make_manifest(config, list(layers), media_type=media_type)
        return self.put_manifest(repo, tag, raw, media_type)

    def push_index(
        self,
        repo: str,
        tag: str,
        platforms: list[tuple[str, str, str]],
        *,
        media_type: str = OCI_INDEX,
    ) -> tuple[str, list[str]]:
        child_type = DOCKER_MANIFEST if media_type == DOCKER_MANIFEST_LIST else OCI_MANIFEST
        children = []
        for arch, os, variant in platforms:
            layer = f"layer for {os}/{arch}".encode()
            digest = self.push_image(
                repo,
                None,
                arch=arch,
                os=os,
                variant=variant,
                layers=(layer,),
                media_type=child_type,
            )
            children.append((self.manifests[(repo, digest)][1], arch, os, variant))
        raw = make_index(children, media_type=media_type)
        return self.put_manifest(repo, tag, raw, media_type), [sha256(c[0]) for c in children]

    # -- request log helpers ------------------------------------------------

    def paths(self, host: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests if host in (None, r.url.host)]

    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == AUTH_HOST]

    # -- HTTP ---------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == AUTH_HOST:
            return self._token(request)
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        if match := _TAGS.match(request.url.path):
            return self._tag_list(match["repo"])
        if match := _MANIFEST_OR_BLOB.match(request.url.path):
            if match["kind"] == "blobs":
                return self._blob(request, match["repo"], match["ref"])
            return self._manifest(request, match["repo"], match["ref"])
        return _registry_error(404, "NOT_FOUND", "no such endpoint")

    def _token(self, request: httpx.Request) -> httpx.Response:
        user = ""
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if USERS.get(user) != password:
                return httpx.Response(401, json={"details": "incorrect username or password"})
        token = f"token-{user or 'anonymous'}-{len(self.tokens) + 1}"
        self.tokens[token] = user
        return httpx.Response(200, json={"token": token, "expires_in": 300})

    def _check_auth(self, request: httpx.Request) -> httpx.Response | None:
        if self.auth is None:
            return None
        header = request.headers.get("authorization", "")
        repo = _repository_of(request.url.path)
        if self.auth == "basic":
            user, _, password = (
                base64.b64decode(header[6:]).decode().partition(":")
                if header.startswith("Basic ")
                else ("", "", "")
            )
            if not user or USERS.get(user) != password or not self._may_pull(repo, user):
                return _registry_error(
                    401,
                    "UNAUTHORIZED",
                    "authentication required",
                    {"WWW-Authenticate": 'Basic realm="fake"'},
                )
            return None
        user = self.tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if user is None or not self._may_pull(repo, user):
            challenge = f'Bearer realm="{TOKEN_REALM}",service="{self.host}"'
            if repo:
                challenge += f',scope="repository:{repo}:pull"'
            return _registry_error(
                401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": challenge}
            )
        return None

    def _may_pull(self, repo: str, user: str) -> bool:
        return repo not in self.private or user in self.private[repo]

    def _manifest(self, request: httpx.Request, repo: str, ref: str) -> httpx.Response:
        found = self.manifests.get((repo, ref))
        if found is None:
            return _registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        media_type, raw = found
        headers = {"Content-Type": media_type, "Content-Length": str(len(raw))}
        if not (request.method == "HEAD" and self.omit_digest_on_head):
            headers["Docker-Content-Digest"] = sha256(raw)
        body = b"" if request.method == "HEAD" else raw
        return httpx.Response(200, headers=headers, content=body)

    def _blob(self, request: httpx.Request, repo: str, digest: str) -> httpx.Response:
        blob = self.blobs.get((repo, digest))
        if blob is None:
            return _registry_error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        return httpx.Response(
            200, headers={"Content-Type": "application/octet-stream"}, content=blob
        )

    def _tag_list(self, repo: str) -> httpx.Response:
        if repo not in self.tags:
            return _registry_error(404, "NAME_UNKNOWN", "repository name not known to registry")
        return httpx.Response(200, json={"name": repo, "tags": self.tags[repo]})


def _repository_of(path: str) -> str:
    match = _MANIFEST_OR_BLOB.match(path) or _TAGS.match(path)
    return match["repo"] if match else ""


def _registry_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"errors": [{"code": code, "message": message, "detail": None}]}
    return httpx.Response(status, json=body, headers=headers)
