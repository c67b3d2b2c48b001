"""The operator's image configuration, read by services when they act.

Like OpenShift's cluster image configuration it holds only the registries:
allowed for import, insecure, blocked. It lives in one database row (edited
in the admin, imagestreams.services.image_config); every other setting is
Django's (the environment). Reading is one small query, so callers read it
once per import or check batch and nobody caches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from imagestreams.integrated_registry import integrated_registry_pull_host
from imagestreams.models import OperatorSettings
from imagestreams.models.operations import SINGLETON_ID
from imagestreams.operations.registries import (
    InvalidLocation,
    RegistryBlocklist,
    RegistryLocation,
    RegistryWhitelist,
    parse_blocked,
    parse_locations,
)
from imagestreams.registry.netguard import origin


@dataclass(frozen=True)
class ImageConfig:
    allowed_registries_for_import: tuple[RegistryLocation, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    blocked_registries: tuple[str, ...] = ()

    def whitelist(self) -> RegistryWhitelist | None:
        """The allowed registries with the integrated registry added; None
        when imports are not restricted."""
        if not self.allowed_registries_for_import:
            return None
        return RegistryWhitelist(
            list(self.allowed_registries_for_import),
            internal_registry=integrated_registry_pull_host(),
        )

    def blocklist(self) -> RegistryBlocklist:
        return RegistryBlocklist(list(self.blocked_registries))


def image_config() -> ImageConfig:
    """What the operator stored; nothing stored restricts nothing."""
    row = OperatorSettings.objects.filter(pk=SINGLETON_ID).first()
    return image_config_of(row) if row is not None else ImageConfig()


def image_config_of(row: OperatorSettings) -> ImageConfig:
    try:
        allowed = tuple(parse_locations(row.allowed_registries_for_import))
        blocked = tuple(parse_blocked(row.blocked_registries))
    except InvalidLocation:  # refused when saved; never reached
        allowed, blocked = (), ()
    return ImageConfig(
        allowed_registries_for_import=allowed,
        insecure_registries=tuple(host_lines(row.insecure_registries)),
        blocked_registries=blocked,
    )


def host_lines(text: str) -> list[str]:
    return [item.strip().lower() for item in text.replace(",", "\n").splitlines() if item.strip()]


def trusted_import_hosts() -> frozenset[str]:
    """`host:port` origins of the integrated registry, which the operator
    configured: imports may reach them even on internal addresses."""
    hosts = set()
    if settings.INTEGRATED_REGISTRY_URL:
        api = urlsplit(settings.INTEGRATED_REGISTRY_URL)
        if api.hostname:
            default = 443 if api.scheme == "https" else 80
            hosts.add(origin(api.hostname, api.port or default))
    pull = integrated_registry_pull_host()
    if pull:
        parts = urlsplit(f"//{pull}")
        if parts.hostname:
            # Without a port, clients pull over HTTPS (or plain HTTP when insecure).
            ports = [parts.port] if parts.port else [443, 80]
            hosts.update(origin(parts.hostname, port) for port in ports)
    return frozenset(hosts)
