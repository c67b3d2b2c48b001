"""Importing one image reference: the registry half of an OpenShift tag import.

``fetch_image`` first asks for the digest only. A scheduled re-check of an
unchanged tag therefore costs one HEAD request; the manifest, the image config
and (for multi-arch images) the child manifests are only fetched on change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import RegistryClient
from .errors import InvalidManifest, RegistryError
from .manifests import (
    Descriptor,
    ImageConfig,
    ParsedManifest,
    Platform,
    parse_config,
    select_platform,
)
from .reference import ImageReference

IMPORT_MODE_LEGACY = "Legacy"
IMPORT_MODE_PRESERVE_ORIGINAL = "PreserveOriginal"
IMPORT_MODES = (IMPORT_MODE_LEGACY, IMPORT_MODE_PRESERVE_ORIGINAL)


@dataclass
class FetchedImage:
    digest: str
    media_type: str
    manifest: bytes
    config: ImageConfig | None
    config_raw: bytes
    layers: list[Descriptor]
    size: int  # config size + unique layer sizes, as OpenShift computes it; 0 for an index
    platform: Platform | None
    children: list[tuple[Descriptor, FetchedImage]] = field(default_factory=list)


@dataclass
class FetchResult:
    """``upstream_digest`` is what the reference resolves to upstream (the
    index digest for a multi-arch tag, even in Legacy mode); ``image`` is None
    when it equals the digest the caller already knew."""

    upstream_digest: str
    image: FetchedImage | None

    @property
    def unchanged(self) -> bool:
        return self.image is None


def fetch_image(
    client: RegistryClient,
    ref: ImageReference,
    *,
    insecure: bool = False,
    import_mode: str = IMPORT_MODE_LEGACY,
    prefer_arch: str = "",
    prefer_os: str = "",
    known_upstream_digest: str | None = None,
    resolve_first: bool = True,
) -> FetchResult:
    """Resolve ``ref`` and fetch everything an Image record needs.

    ``resolve_first=False`` skips the HEAD when there is no known digest to
    compare with (a bulk import of new tags): the manifest is fetched by tag
    and its own digest is the upstream digest, one request fewer per tag."""
    mode = import_mode or IMPORT_MODE_LEGACY
    if mode not in IMPORT_MODES:
        raise RegistryError(
            f'unknown import mode "{import_mode}" for image "{ref.pull_spec()}"; '
            f"use {' or '.join(IMPORT_MODES)}",
            reason="Invalid",
        )
    if known_upstream_digest is None and not resolve_first:
        manifest = client.get_manifest(ref, insecure=insecure)
        pinned = ref.with_digest(manifest.digest)
    else:
        head = client.head_manifest(ref, insecure=insecure)
        if known_upstream_digest is not None and head.digest == known_upstream_digest:
            return FetchResult(upstream_digest=head.digest, image=None)
        # Fetch by the digest we were just told, so a tag that moves between
        # the HEAD and the GET cannot give us a manifest for another digest.
        pinned = ref.with_digest(head.digest)
        manifest = client.get_manifest(pinned, insecure=insecure)
    if not manifest.is_index:
        image = _fetch_single(client, pinned, manifest, insecure=insecure)
    elif mode == IMPORT_MODE_LEGACY:
        image = _fetch_chosen_child(client, pinned, manifest, insecure, prefer_arch, prefer_os)
    else:
        image = _fetch_whole_index(client, pinned, manifest, insecure=insecure)
    return FetchResult(upstream_digest=manifest.digest, image=image)


def _fetch_chosen_child(
    client: RegistryClient,
    ref: ImageReference,
    index: ParsedManifest,
    insecure: bool,
    prefer_arch: str,
    prefer_os: str,
) -> FetchedImage:
    """Legacy mode: the index is replaced by the one image for our platform."""
    _require_children(ref, index)
    chosen = select_platform(index.children, prefer_arch=prefer_arch, prefer_os=prefer_os)
    return _fetch_child(client, ref, chosen, insecure=insecure)


def _fetch_whole_index(
    client: RegistryClient, ref: ImageReference, index: ParsedManifest, *, insecure: bool
) -> FetchedImage:
    """PreserveOriginal mode: the index itself is the image, every child is imported too."""
    _require_children(ref, index)
    children = [
        (child, _fetch_child(client, ref, child, insecure=insecure)) for child in index.children
    ]
    return FetchedImage(
        digest=index.digest,
        media_type=index.media_type,
        manifest=index.raw,
        config=None,
        config_raw=b"",
        layers=[],
        size=0,
        platform=None,
        children=children,
    )


def _fetch_child(
    client: RegistryClient, ref: ImageReference, child: Descriptor, *, insecure: bool
) -> FetchedImage:
    child_ref = ref.with_digest(child.digest)
    manifest = client.get_manifest(child_ref, insecure=insecure)
    if manifest.is_index:
        raise InvalidManifest(
            f'image "{child_ref.pull_spec()}" is an index inside an index, which is not supported'
        )
    return _fetch_single(client, child_ref, manifest, insecure=insecure, platform=child.platform)


def _fetch_single(
    client: RegistryClient,
    ref: ImageReference,
    manifest: ParsedManifest,
    *,
    insecure: bool,
    platform: Platform | None = None,
) -> FetchedImage:
    if manifest.config is None:
        raise InvalidManifest(f'image "{ref.pull_spec()}" has no config descriptor')
    config_raw = client.get_blob(ref, manifest.config.digest, insecure=insecure)
    try:
        config = parse_config(config_raw)
    except InvalidManifest as exc:
        raise InvalidManifest(f'image "{ref.pull_spec()}": {exc.message}') from None
    return FetchedImage(
        digest=manifest.digest,
        media_type=manifest.media_type,
        manifest=manifest.raw,
        config=config,
        config_raw=config_raw,
        layers=manifest.layers,
        size=_image_size(manifest.config.digest, config_raw, manifest.layers),
        # The index entry knows the variant (arm64/v8) more reliably than
        # many configs do, so it wins when we have it.
        platform=platform or _platform_of(config),
    )


def _image_size(config_digest: str, config_raw: bytes, layers: list[Descriptor]) -> int:
    """Config size plus each distinct layer once (layers can repeat in a manifest)."""
    sizes = {layer.digest: layer.size for layer in layers}
    sizes.pop(config_digest, None)
    return len(config_raw) + sum(sizes.values())


def _platform_of(config: ImageConfig) -> Platform | None:
    if not config.architecture and not config.os:
        return None
    return Platform(config.architecture, config.os, config.variant)


def _require_children(ref: ImageReference, index: ParsedManifest) -> None:
    if not index.children:
        raise InvalidManifest(f'the manifest list of image "{ref.pull_spec()}" has no entries')
