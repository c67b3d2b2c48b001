"""Registries allowed for import: OpenShift's allowedRegistriesForImport.

Each allowed entry is a host glob with a port glob (``*`` matches any run of
characters, ``?`` one); an entry written without a port means 443, or 80 when
marked insecure. A reference is admitted when its registry host and port
match an entry; references without a port match entries for 80, 443 or ``*``
when the import may use either transport. Docker Hub's API hosts also match
``docker.io`` entries, and the integrated registry is always allowed. The
messages are OpenShift's, word for word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from imagestreams.registry.reference import ImageReference

DOCKER_HUB = "docker.io"
DOCKER_HUB_V1 = "index.docker.io"
DOCKER_HUB_V2 = "registry-1.docker.io"
# OpenShift lists at most this many entries in an error message.
SHOW_MAX = 5

SECURE, INSECURE, ANY = "secure", "insecure", "any"


@dataclass(frozen=True)
class RegistryLocation:
    """One entry of the allowed list, as an operator writes it."""

    domain_name: str
    insecure: bool = False

    def __str__(self) -> str:
        return self.domain_name + (" insecure" if self.insecure else "")


class InvalidLocation(ValueError):
    pass


def parse_locations(text: str) -> list[RegistryLocation]:
    """Entries one per line (or comma-separated): ``host[:port] [insecure]``."""
    locations = []
    for raw in re.split(r"[\n,]", text):
        words = raw.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() != "insecure"):
            raise InvalidLocation(
                f'"{raw.strip()}" is not a registry: write host, host:port or "host insecure"'
            )
        domain = words[0]
        if "/" in domain or "@" in domain:
            raise InvalidLocation(
                f'"{domain}" is not a registry host: write host or host:port, without '
                "scheme or path"
            )
        if domain.count(":") > 1:
            raise InvalidLocation(f'failed to parse allowed registry "{domain}": too many colons')
        locations.append(RegistryLocation(domain, insecure=len(words) == 2))
    return locations


def format_locations(locations: list[RegistryLocation]) -> str:
    return "\n".join(str(location) for location in locations)


@dataclass(frozen=True)
class _Glob:
    host: str
    port: str

    def __str__(self) -> str:
        return f"{_join_host_port(self.host, self.port)}"


class RegistryWhitelist:
    """Decides whether a registry may be imported from."""

    def __init__(self, locations: list[RegistryLocation], *, internal_registry: str = "") -> None:
        self._globs: list[_Glob] = []
        for location in locations:
            self._add(location.domain_name, INSECURE if location.insecure else SECURE)
        if internal_registry:
            # The integrated registry is always allowed; OpenShift puts it first.
            self._add(internal_registry, SECURE, first=True)

    def _add(self, domain: str, transport: str, *, first: bool = False) -> None:
        host, sep, port = domain.partition(":")
        if not sep:
            port = "80" if transport == INSECURE else "443"
        glob = _Glob(host, port)
        if glob in self._globs:
            return
        if first:
            self._globs.insert(0, glob)
        else:
            self._globs.append(glob)

    def admit_reference(self, ref: ImageReference, transport: str) -> str | None:
        """None if allowed, else OpenShift's message (AdmitDockerImageReference)."""
        host, port = _host_port(ref.registry, transport)
        if self._matches(host, port):
            return None
        shown = ref.registry or (_join_host_port(host, port) if port else host)
        return self._refusal(shown)

    def admit_hostname(self, hostname: str, transport: str) -> str | None:
        return self.admit_reference(ImageReference(registry=hostname, path="x"), transport)

    def _matches(self, host: str, port: str) -> bool:
        candidates = [host]
        if host.lower() in (DOCKER_HUB_V1, DOCKER_HUB_V2):
            # Plain docker.io first, so that "docker.io:*" entries match too.
            candidates.insert(0, DOCKER_HUB)
        return any(self._matches_host(candidate, port) for candidate in candidates)

    def _matches_host(self, host: str, port: str) -> bool:
        for glob in self._globs:
            if not _wildcard_match(host, glob.host):
                continue
            if not port:
                if glob.port in ("80", "443", "*"):
                    return True
                continue
            if _wildcard_match(port, glob.port):
                return True
        return False

    def _refusal(self, hostname: str) -> str:
        if not self._globs:
            return f'registry "{hostname}" not allowed by empty whitelist'
        shown = [f'"{glob}"' for glob in self._globs]
        if len(shown) <= SHOW_MAX:
            return f'registry "{hostname}" not allowed by whitelist: {", ".join(shown)}'
        listed = ", ".join(shown[: SHOW_MAX - 1])
        more = len(shown) - SHOW_MAX + 1
        return f'registry "{hostname}" not allowed by whitelist: {listed}, and {more} more ...'


class RegistryBlocklist:
    """OpenShift's registrySources.blockedRegistries: host globs with an
    optional port glob; an entry without a port blocks every port."""

    def __init__(self, entries: list[str]) -> None:
        self._globs = [_Glob(*_split_entry(entry)) for entry in entries]

    def __bool__(self) -> bool:
        return bool(self._globs)

    def refusal(self, ref: ImageReference, transport: str) -> str | None:
        """None unless the registry of ``ref`` is blocked; then the message."""
        host, port = _host_port(ref.registry, transport)
        # Without an explicit port a reference may reach 443 or 80 (ANY).
        ports = [port] if port else ["443", "80"]
        host = _hub(host)
        for glob in self._globs:
            if not _wildcard_match(host, _hub(glob.host)):
                continue
            if glob.port == "" or any(_wildcard_match(p, glob.port) for p in ports):
                shown = ref.registry or DOCKER_HUB
                return f'registry "{shown}" is blocked by the operator (blocked registries)'
        return None


def parse_blocked(text: str) -> list[str]:
    """Entries one per line (or comma-separated): ``host`` or ``host:port``."""
    entries = []
    for raw in re.split(r"[\n,]", text):
        entry = raw.strip().lower()
        if not entry:
            continue
        if " " in entry or "/" in entry or "@" in entry:
            raise InvalidLocation(
                f'"{entry}" is not a registry host: write host or host:port, without scheme or path'
            )
        if entry.count(":") > 1:
            raise InvalidLocation(f'failed to parse blocked registry "{entry}": too many colons')
        entries.append(entry)
    return entries


def _split_entry(entry: str) -> tuple[str, str]:
    host, _, port = entry.partition(":")
    return host, port


def _hub(host: str) -> str:
    """Docker Hub's API hosts are docker.io."""
    return DOCKER_HUB if host.lower() in (DOCKER_HUB_V1, DOCKER_HUB_V2) else host


def registry_host_port(registry: str, *, insecure: bool) -> tuple[str, str]:
    """OpenShift's RegistryHostPort: a Docker Hub name typed out becomes its
    API host (no registry at all stays docker.io), and the transport's
    default port applies unless one is given."""
    host = registry or DOCKER_HUB
    if registry.lower() in (DOCKER_HUB, DOCKER_HUB_V1):
        host = DOCKER_HUB_V2
    port = "80" if insecure else "443"
    name, sep, explicit = host.rpartition(":")
    if sep and explicit.isdigit():
        host, port = name, explicit
    return host, port


def _host_port(registry: str, transport: str) -> tuple[str, str]:
    if transport == ANY:
        name, sep, port = registry.rpartition(":")
        if sep and port.isdigit() and name:
            return name, port
        return (registry or DOCKER_HUB), ""
    return registry_host_port(registry, insecure=transport == INSECURE)


def _join_host_port(host: str, port: str) -> str:
    # Go's net.JoinHostPort brackets IPv6 literals.
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _wildcard_match(text: str, pattern: str) -> bool:
    return _glob_regex(pattern).fullmatch(text) is not None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    escaped = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(escaped, re.IGNORECASE)


def transport_for(insecure: bool) -> str:
    """Spec tags may fall back to plain HTTP when insecure (OpenShift's
    getWhitelistTransportForFlag with secure fallback)."""
    return ANY if insecure else SECURE
