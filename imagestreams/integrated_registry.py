"""Where the integrated registry is: the one place its hosts are worked out.

Models (a stream's pull repository), imports (hosts always allowed), pushes
and pruning all read them from here, so `INTERNAL_REGISTRY_HOSTNAME` left
empty means the host of `IMAGESTREAMS_INTEGRATED_REGISTRY_URL` everywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def integrated_registry_configured() -> bool:
    return bool(settings.INTEGRATED_REGISTRY_URL)


def integrated_registry_api_host() -> str:
    """`host:port` of the registry's API, as this service reaches it."""
    return urlsplit(settings.INTEGRATED_REGISTRY_URL).netloc


def integrated_registry_pull_host() -> str:
    """The host clients pull from (INTERNAL_REGISTRY_HOSTNAME), else the API host;
    empty when there is no integrated registry."""
    return settings.INTERNAL_REGISTRY_HOSTNAME or integrated_registry_api_host()
