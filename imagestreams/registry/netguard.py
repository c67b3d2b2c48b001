"""Outbound connections that cannot reach internal addresses (SSRF guard).

Imports and trigger webhooks connect to hosts that users name. Left alone,
a user could point them at the metadata service of the cloud we run in, at a
database on the private network, or at this machine's loopback. The guard:

- resolves the host itself when a TCP connection is opened, refuses it if any
  address is loopback, private, link-local (metadata services live there),
  unspecified, multicast, reserved or otherwise not global, and then connects
  to exactly the address it checked. The HTTP client never resolves the name
  again, so a DNS answer that changes between check and use (rebinding)
  cannot slip through;
- sits below the HTTP client, so every redirect and every token-server
  request opens its connection through the same check (a pooled connection
  is only reused for the origin it was checked for);
- leaves TLS alone: SNI and certificate verification still use the host name.

httpx has no public way to choose httpcore's network backend, so
``guarded_transport`` rebuilds the transport's connection pool with the same
settings plus the guard (httpx is pinned below 0.29 for this reason; the
tests fail if a new version changes it). Guarded clients never use
environment proxies: a proxy resolves names itself, past any check.

Plain Python, no Django: callers pass the operator's policy in.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
from httpcore._backends.sync import SyncBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., list[tuple[Any, ...]]]

DEFAULT_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=30.0)
# IPv6 prefixes that embed an IPv4 address a gateway would connect to for us.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(httpcore.ConnectError):
    """A connection to an internal address was refused.

    A ``httpcore.ConnectError`` so that httpx reports it as an
    ``httpx.ConnectError``; ``blocked_address_in`` finds it again in the
    exception chain, to say what happened instead of "cannot connect".
    """

    def __init__(self, host: str, address: IPAddress) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} resolves to the internal address {address}")


def origin(host: str, port: int) -> str:
    """How trusted hosts are written: ``host:port``, lower case, IPv6 unbracketed."""
    return f"{host.strip('[]').lower()}:{port}"


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4, Teredo or NAT64 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


_IPV4_PART = re.compile(r"0[xX][0-9A-Fa-f]*|0[0-7]*|[1-9][0-9]*")


def literal_address(host: str) -> IPAddress | None:
    """The address `host` denotes when it is an IP literal in any form the
    system's resolver accepts, None for a name.

    Besides ``127.0.0.1`` and ``::1``, inet_aton (which getaddrinfo uses)
    reads ``127.1``, ``2130706433``, ``0x7f000001`` and ``0177.0.0.1`` as
    127.0.0.1: a check that only knows the dotted-quad form would let them
    pass as names.
    """
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    values = [_ipv4_part(part) for part in parts]
    if values[-1] >= 256 ** (5 - len(values)) or any(value > 255 for value in values[:-1]):
        return None  # out of range: no resolver reads it as an address either
    number = values[-1]
    for position, value in enumerate(values[:-1]):
        number += value << (8 * (3 - position))
    return ipaddress.IPv4Address(number)


def _ipv4_part(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def is_internal(address: IPAddress) -> bool:
    """Anything but a global unicast address: loopback, RFC 1918 and ULA
    private ranges, link-local (169.254.169.254 and other metadata services),
    carrier-grade NAT, unspecified, multicast, reserved, documentation."""
    inner = embedded_ipv4(address)
    if inner is not None and is_internal(inner):
        return True
    # ``is_global`` alone lets multicast through (224.0.0.0/4 counts as global).
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class Guard:
    """Which addresses outbound connections may reach.

    ``allow_private`` lifts the check entirely (the operator's choice, or a
    destination that is trusted, like the integrated registry);
    ``allowed_networks`` lets through only these internal networks;
    ``trusted_hosts`` are ``host:port`` origins the operator configured (the
    integrated registry), reached wherever they are. Only connections to
    those very origins are exempt: their redirects and token realms on other
    hosts are checked as usual.
    ``resolve`` is ``socket.getaddrinfo`` unless a test says otherwise.
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    trusted_hosts: frozenset[str] = frozenset()
    resolve: Resolver | None = field(default=None, compare=False, repr=False)

    def trusts(self, host: str, port: int) -> bool:
        return origin(host, port) in self.trusted_hosts

    @classmethod
    def with_networks(cls, networks: Iterable[str], **options: Any) -> Guard:
        parsed = tuple(ipaddress.ip_network(network, strict=False) for network in networks)
        return cls(allowed_networks=parsed, **options)

    def permits(self, address: IPAddress) -> bool:
        if self.allow_private or not is_internal(address):
            return True
        return any(address in network for network in self.allowed_networks)

    def check(self, host: str, addresses: Sequence[IPAddress]) -> None:
        """Raise BlockedAddress unless every address may be reached: a name
        with one internal address among public ones is refused as a whole."""
        for address in addresses:
            if not self.permits(address):
                raise BlockedAddress(host, address)

    def checked_addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once and return its addresses to connect to, all checked."""
        try:
            infos = (self.resolve or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        targets = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not targets:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        # A scope id ("fe80::1%eth0") says which interface, not which address.
        self.check(host, [ipaddress.ip_address(target.split("%", 1)[0]) for target in targets])
        return targets

    def transport(
        self, *, verify: bool | ssl.SSLContext = True, limits: httpx.Limits = DEFAULT_LIMITS
    ) -> httpx.HTTPTransport:
        """An httpx transport whose every connection passes this guard."""
        transport = httpx.HTTPTransport(verify=verify, limits=limits)
        if self.allow_private:
            return transport
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(self),
        )
        return transport


class GuardedBackend(SyncBackend):
    """httpcore's socket backend, connecting only to addresses the guard checked."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self.guard.trusts(host, port):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        last_error: Exception | None = None
        for address in self.guard.checked_addresses(host, port):
            try:
                # An IP literal: the parent connects without resolving anything.
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc  # like create_connection: try the next address
        assert last_error is not None
        raise last_error


def blocked_address_in(exc: BaseException) -> BlockedAddress | None:
    """The BlockedAddress behind an httpx error, if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BlockedAddress):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
