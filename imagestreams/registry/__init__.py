"""Plain-Python access to container registries (no Django in here).

Other parts of the service import from this package root; the submodules are
implementation detail except where documented.
"""

from __future__ import annotations

from .client import RegistryClient
from .errors import (
    CredentialsRejected,
    DigestMismatch,
    Forbidden,
    InsecureRequired,
    InvalidManifest,
    InvalidReference,
    NotFound,
    RateLimited,
    RegistryError,
    RegistryUnavailable,
    Unauthorized,
)
from .fetch import FetchedImage, FetchResult, fetch_image
from .manifests import (
    MANIFEST_ACCEPT,
    Descriptor,
    ImageConfig,
    ParsedManifest,
    Platform,
    digest_of,
    parse_config,
    parse_manifest,
    select_platform,
)
from .priority import prioritize_tags
from .reference import DEFAULT_TAG, ImageReference, is_digest, parse_reference

__all__ = [
    "DEFAULT_TAG",
    "MANIFEST_ACCEPT",
    "CredentialsRejected",
    "Descriptor",
    "DigestMismatch",
    "FetchResult",
    "FetchedImage",
    "Forbidden",
    "ImageConfig",
    "ImageReference",
    "InsecureRequired",
    "InvalidManifest",
    "InvalidReference",
    "NotFound",
    "ParsedManifest",
    "Platform",
    "RateLimited",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailable",
    "Unauthorized",
    "digest_of",
    "fetch_image",
    "is_digest",
    "parse_config",
    "parse_manifest",
    "parse_reference",
    "prioritize_tags",
    "select_platform",
]
