"""A small synchronous client for the Distribution (OCI) registry API.

Reference: https://distribution.github.io/distribution/spec/api/ and
https://github.com/opencontainers/distribution-spec/blob/main/spec.md

One ``RegistryClient`` serves a batch of imports: it keeps pooled connections,
the result of each registry's ``/v2/`` ping and bearer tokens (or uses those of
its process, see pool.py), so that checking an unchanged tag costs a single
HEAD request. It is not thread-safe; give each worker thread its own client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from types import TracebackType

import httpx

from .auth import CATALOG_SCOPE, TokenIssuer, delete_scope
from .errors import DigestMismatch, InvalidManifest, InvalidReference, NotFound, RegistryError
from .manifests import (
    MANIFEST_ACCEPT,
    MAX_MANIFEST_SIZE,
    Descriptor,
    ParsedManifest,
    digest_of,
    parse_manifest,
)
from .netguard import Guard
from .pool import SharedConnections
from .quick import PreparedHead
from .reference import ImageReference, is_digest
from .session import RegistrySession, read_body

# get_blob is meant for image configs, not layers; configs with a long
# history reach a few MiB, so this leaves ample room.
DEFAULT_MAX_BLOB_SIZE = 16 * 1024 * 1024
MAX_TAG_PAGE_SIZE = 16 * 1024 * 1024
# Digest-addressed manifests are immutable, so a HEAD that had to fall back to
# GET can hand its result to the next get_manifest. Keep only a few.
_MANIFEST_CACHE_SIZE = 16


class RegistryClient:
    def __init__(
        self,
        *,
        credentials: Callable[[str], tuple[str, str] | None] | None = None,
        insecure_registries: Iterable[str] = (),
        timeout: float = 10.0,
        user_agent: str = "imagestreams/0.1",
        transport: httpx.BaseTransport | None = None,
        guard: Guard | None = None,
        token_issuer: TokenIssuer | None = None,
        shared: SharedConnections | None = None,
        blobs: dict[tuple[str, str, str], bytes] | None = None,
    ) -> None:
        """``credentials`` maps a registry host ("docker.io", "quay.io",
        "localhost:5000") to a (username, password) pair, or None.

        ``guard`` decides which addresses connections may reach; by default
        internal ones (loopback, private, link-local) are refused, see
        netguard. It does not apply to a ``transport`` given by the caller.

        ``token_issuer(challenge, scope)`` may sign a bearer token itself
        (the integrated registry trusts our own token server); when it
        returns None the challenge's realm is asked, with ``credentials``.

        ``shared`` connection pools, endpoints and tokens (pool.py) outlive the
        client, so that clients built per batch or per thread reuse them; the
        guard and transport then belong to ``shared``.

        ``blobs`` keeps the blobs read (verified) by registry, repository and
        digest, for clients that share it: an import of many tags that share
        an image config reads it once."""
        self._session = RegistrySession(
            credentials=credentials,
            insecure_registries=insecure_registries,
            timeout=timeout,
            user_agent=user_agent,
            transport=transport,
            guard=guard or Guard(),
            token_issuer=token_issuer,
            shared=shared,
        )
        self._manifests: dict[tuple[str, str, str], ParsedManifest] = {}
        self._blobs = blobs

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()
        self._manifests.clear()

    def head_manifest(self, ref: ImageReference, *, insecure: bool = False) -> Descriptor:
        """Digest, media type and size of the manifest ``ref`` points at."""
        response = self._session.open(
            ref,
            "HEAD",
            _manifest_path(ref),
            insecure=insecure,
            subject=_image(ref),
            accept=MANIFEST_ACCEPT,
        )
        response.close()
        digest = response.headers.get("docker-content-digest", "").strip()
        if not is_digest(digest):
            # Some registries and proxies leave the header off HEAD answers;
            # hashing the body is then the only way to learn the digest.
            manifest = self.get_manifest(ref, insecure=insecure)
            self._remember(ref, manifest)
            return Descriptor(manifest.media_type, manifest.digest, len(manifest.raw))
        if ref.digest and digest != ref.digest:
            raise DigestMismatch(
                f"the registry answered digest {digest} for {_image(ref)}, which was "
                f"requested by digest {ref.digest}"
            )
        size = response.headers.get("content-length", "")
        return Descriptor(_content_type(response), digest, int(size) if size.isdigit() else 0)

    def prepared_head(self, ref: ImageReference, *, insecure: bool = False) -> PreparedHead | None:
        """The manifest HEAD of ``ref``, ready for QuickHeads (quick.py), or
        None if sending it needs a ping or a token first."""
        return self._session.prepared_head(
            ref, _manifest_path(ref), insecure=insecure, accept=MANIFEST_ACCEPT
        )

    def get_manifest(self, ref: ImageReference, *, insecure: bool = False) -> ParsedManifest:
        """Fetch, verify and parse the manifest ``ref`` points at."""
        if ref.digest and (cached := self._manifests.pop(_cache_key(ref, ref.digest), None)):
            return cached
        subject = _image(ref)
        response = self._session.open(
            ref,
            "GET",
            _manifest_path(ref),
            insecure=insecure,
            subject=subject,
            accept=MANIFEST_ACCEPT,
        )
        raw = read_body(
            response,
            MAX_MANIFEST_SIZE,
            lambda: InvalidManifest(
                f"the manifest of {subject} is larger than the {MAX_MANIFEST_SIZE} byte limit"
            ),
            subject,
        )
        announced = response.headers.get("docker-content-digest", "").strip()
        digest = _verified_digest(raw, ref.digest, announced, f"the manifest of {subject}")
        try:
            return parse_manifest(raw, _content_type(response), digest)
        except InvalidManifest as exc:
            raise InvalidManifest(f"{subject}: {exc.message}") from None

    def get_blob(
        self,
        ref: ImageReference,
        digest: str,
        *,
        insecure: bool = False,
        max_size: int = DEFAULT_MAX_BLOB_SIZE,
    ) -> bytes:
        """Download a (small) blob such as an image config, verifying its digest.

        Redirects to blob storage are followed; httpx drops our Authorization
        header when a redirect leaves the registry's origin.
        """
        if not is_digest(digest):
            raise InvalidReference(f'"{digest}" is not a valid blob digest for {_image(ref)}')
        key = (ref.registry, ref.repository, digest)
        if self._blobs is not None and key in self._blobs:
            return self._blobs[key]  # content-addressed, verified when read
        subject = f"blob {digest} of {_image(ref)}"
        path = f"/v2/{ref.repository}/blobs/{digest}"
        response = self._session.open(
            ref, "GET", path, insecure=insecure, subject=subject, missing="blob unknown"
        )
        raw = read_body(
            response,
            max_size,
            lambda: InvalidManifest(f"{subject} is larger than the {max_size} byte limit"),
            subject,
        )
        _verified_digest(raw, digest, "", subject)
        if self._blobs is not None:
            self._blobs[key] = raw
        return raw

    def list_tags(
        self, ref: ImageReference, *, insecure: bool = False, limit: int = 10000
    ) -> list[str]:
        """Tags of the repository in registry order, following ``Link`` pagination,
        at most ``limit`` of them."""
        subject = f'repository "{ref.typed_repository}"'
        tags: list[str] = []
        path: str | None = f"/v2/{ref.repository}/tags/list"
        seen: set[str] = set()
        # ``seen`` stops a registry that keeps linking to the same page.
        while path and path not in seen and len(tags) < limit:
            seen.add(path)
            response = self._session.open(
                ref, "GET", path, insecure=insecure, subject=subject, missing="name unknown"
            )
            raw = read_body(
                response,
                MAX_TAG_PAGE_SIZE,
                lambda: RegistryError(f"a tag list page of {subject} is too large"),
                subject,
            )
            tags.extend(_tags_in_page(raw, subject))
            path = _next_page_path(response, subject)
        return tags[:limit]

    def list_repositories(
        self, registry: str, *, insecure: bool = False, page_size: int = 100, limit: int = 100000
    ) -> list[str]:
        """Repositories of ``registry`` from ``/v2/_catalog``, following ``Link``
        pagination, at most ``limit``. On token registries this asks for the
        ``registry:catalog:*`` scope, which token servers grant sparingly."""
        ref = ImageReference(registry=registry, path="catalog")
        subject = f"the catalog of {registry}"
        names: list[str] = []
        path: str | None = f"/v2/_catalog?n={page_size}"
        seen: set[str] = set()
        while path and path not in seen and len(names) < limit:
            seen.add(path)
            response = self._session.open(
                ref,
                "GET",
                path,
                insecure=insecure,
                subject=subject,
                missing="catalog unknown",
                scope=CATALOG_SCOPE,
            )
            raw = read_body(
                response,
                MAX_TAG_PAGE_SIZE,
                lambda: RegistryError(f"a page of {subject} is too large"),
                subject,
            )
            names.extend(_list_in_page(raw, "repositories", subject))
            path = _next_page_path(response, subject)
        return names[:limit]

    def delete_manifest(self, ref: ImageReference, *, insecure: bool = False) -> bool:
        """Delete the manifest ``ref.digest`` from its repository (the registry
        needs ``storage.delete.enabled``); False if it was already gone."""
        if not ref.digest:
            raise InvalidReference(f"{_image(ref)} must name a digest to be deleted")
        try:
            response = self._session.open(
                ref,
                "DELETE",
                _manifest_path(ref),
                insecure=insecure,
                subject=_image(ref),
                scope=delete_scope(ref.repository),
            )
        except NotFound:
            return False
        response.close()
        return True

    def _remember(self, ref: ImageReference, manifest: ParsedManifest) -> None:
        if len(self._manifests) >= _MANIFEST_CACHE_SIZE:
            self._manifests.pop(next(iter(self._manifests)))
        self._manifests[_cache_key(ref, manifest.digest)] = manifest


def _verified_digest(raw: bytes, requested: str | None, announced: str, subject: str) -> str:
    """Check ``raw`` against the requested and the announced digest; return its digest."""
    for expected, source in ((requested, "requested"), (announced, "announced by the registry")):
        if not expected or not is_digest(expected):
            continue
        actual = digest_of(raw, expected.split(":", 1)[0])
        if actual != expected:
            raise DigestMismatch(f"{subject} hashes to {actual}, not to the {source} {expected}")
    if requested:
        return requested
    return announced if is_digest(announced) else digest_of(raw)


def _tags_in_page(raw: bytes, subject: str) -> list[str]:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RegistryError(f"the tag list of {subject} is not valid JSON") from None
    tags = document.get("tags") if isinstance(document, dict) else None
    # Registries answer "tags": null for a repository without tags.
    return [tag for tag in tags or [] if isinstance(tag, str)]


def _list_in_page(raw: bytes, key: str, subject: str) -> list[str]:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RegistryError(f"{subject} is not valid JSON") from None
    items = document.get(key) if isinstance(document, dict) else None
    return [item for item in items or [] if isinstance(item, str)]


def _next_page_path(response: httpx.Response, subject: str) -> str | None:
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    target = response.url.join(link)
    here = response.url
    if (target.scheme, target.host, target.port) != (here.scheme, here.host, here.port):
        # Following it would send our token to a host we never authenticated.
        raise RegistryError(f"the registry sent a tag list page link to another host for {subject}")
    return target.raw_path.decode("ascii")


def _manifest_path(ref: ImageReference) -> str:
    return f"/v2/{ref.repository}/manifests/{ref.manifest_reference}"


def _image(ref: ImageReference) -> str:
    return f'image "{ref.pull_spec()}"'


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";", 1)[0].strip()


def _cache_key(ref: ImageReference, digest: str) -> tuple[str, str, str]:
    return (ref.api_host, ref.repository, digest)
