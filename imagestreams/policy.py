"""Operator policy read by services at the moment they act.

One place to ask: each function answers with the run-time operator setting
when one is set (Django admin, imagestreams.operations.runtime) and with the
environment's value otherwise. Callers never cache the answers; the
operations layer already does, briefly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from imagestreams.operations.registries import (
    InvalidLocation,
    RegistryLocation,
    RegistryWhitelist,
    parse_locations,
)
from imagestreams.operations.runtime import overrides
from imagestreams.registry.netguard import origin


def _chosen(override, default):
    return default if override is None else override


def private_networks_allowed_for_imports() -> bool:
    """May imports reach loopback, private, link-local or metadata addresses?"""
    default = settings.IMPORT_ALLOW_PRIVATE_ADDRESSES
    return _chosen(overrides().import_private_addresses, default)


def trusted_import_hosts() -> frozenset[str]:
    """`host:port` origins of the integrated registry, which the operator
    configured: imports may reach them even on internal addresses."""
    hosts = set()
    if settings.INTEGRATED_REGISTRY_URL:
        api = urlsplit(settings.INTEGRATED_REGISTRY_URL)
        if api.hostname:
            default = 443 if api.scheme == "https" else 80
            hosts.add(origin(api.hostname, api.port or default))
    pull = settings.INTERNAL_REGISTRY_HOSTNAME
    if pull:
        parts = urlsplit(f"//{pull}")
        if parts.hostname:
            # Without a port, clients pull over HTTPS (or plain HTTP when insecure).
            ports = [parts.port] if parts.port else [443, 80]
            hosts.update(origin(parts.hostname, port) for port in ports)
    return frozenset(hosts)


def private_networks_allowed_for_webhooks() -> bool:
    """May trigger webhooks reach loopback, private or link-local addresses?"""
    return _chosen(overrides().webhook_private_addresses, settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES)


def allowed_registries_for_import() -> list[RegistryLocation]:
    """OpenShift's allowedRegistriesForImport; empty: every registry is allowed."""
    stored = overrides().allowed_registries_for_import
    if stored:
        return list(stored)
    try:
        return parse_locations(settings.ALLOWED_REGISTRIES_FOR_IMPORT)
    except InvalidLocation as exc:
        raise ImproperlyConfigured(f"IMAGESTREAMS_ALLOWED_REGISTRIES_FOR_IMPORT: {exc}") from None


def registry_whitelist() -> RegistryWhitelist | None:
    """The allowed registries with the integrated registry added; None when
    imports are not restricted."""
    allowed = allowed_registries_for_import()
    if not allowed:
        return None
    return RegistryWhitelist(allowed, internal_registry=settings.INTERNAL_REGISTRY_HOSTNAME)


def insecure_registries() -> list[str]:
    """Registries always reached over plain HTTP / without TLS verification."""
    return list(overrides().insecure_registries or settings.INSECURE_REGISTRIES)


def scheduled_interval() -> float:
    """Seconds between two checks of a scheduled tag (never below the minimum)."""
    interval = _chosen(overrides().scheduled_interval, settings.SCHEDULED_INTERVAL)
    return max(float(interval), scheduled_minimum_interval())


def scheduled_minimum_interval() -> float:
    return float(
        _chosen(overrides().scheduled_minimum_interval, settings.SCHEDULED_MINIMUM_INTERVAL)
    )


def registry_max_concurrency() -> int:
    return int(_chosen(overrides().registry_max_concurrency, settings.REGISTRY_MAX_CONCURRENCY))


def registry_requests_per_second() -> float:
    return float(
        _chosen(overrides().registry_requests_per_second, settings.REGISTRY_REQUESTS_PER_SECOND)
    )


def registry_timeout() -> float:
    return float(_chosen(overrides().registry_timeout, settings.REGISTRY_TIMEOUT))


def max_images_bulk_imported() -> int:
    """Tags imported by `import-image --all`; -1: no limit."""
    return int(_chosen(overrides().max_images_bulk_imported, settings.MAX_IMAGES_BULK_IMPORTED))


def default_import_mode() -> str:
    return overrides().default_import_mode or settings.DEFAULT_IMPORT_MODE
