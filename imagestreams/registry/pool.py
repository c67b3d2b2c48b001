"""What the registry clients of one process can share: HTTP connection pools,
each registry's discovered endpoint, and bearer tokens.

A scheduled check of an unchanged tag is one HEAD; everything else a client
used to redo per batch (a connection with its DNS lookup and TLS handshake,
the ``/v2/`` ping that finds the scheme and the auth challenge, a token) is
kept here for as long as it keeps working. A remembered endpoint that fails
is forgotten and discovered again (session.py), so a registry that moves to
TLS, changes its token realm or restarts costs one more ping, not a failure.

Everything here is thread-safe: worker threads of one process share it,
each with its own (cheap) RegistryClient on top.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from .auth import TokenCache
from .connection import Endpoint
from .quick import QuickHeads

MAX_REDIRECTS = 5
# Measured against a local registry, about 8 connections in flight is the sweet
# spot for httpx; more idle ones are kept so that several registries each keep
# theirs between batches.
POOL_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=32, keepalive_expiry=60.0)
# A remembered endpoint is discovered again after this long even if it keeps
# working, so that a registry that changed its auth is noticed without a failure.
ENDPOINT_LIFETIME = 900.0

TransportFactory = Callable[[bool], httpx.BaseTransport]
EndpointKey = tuple[str, bool]  # (api host, insecure)


class SharedConnections:
    """``transport_for(verify_tls)`` builds the transport of each pool (the
    import guard's, or a caller's own for pacing and tests)."""

    def __init__(
        self,
        transport_for: TransportFactory,
        *,
        timeout: float = 10.0,
        user_agent: str = "imagestreams/0.1",
        clock: Callable[[], float] = time.monotonic,
        quick: QuickHeads | None = None,
    ) -> None:
        self._transport_for = transport_for
        self.quick = quick  # manifest HEADs on an event loop, when the caller wants them
        self._timeout = timeout
        self._user_agent = user_agent
        self._clock = clock
        # Keyed by "verify TLS?": httpx fixes verification per client, so an
        # insecure import needs a second, non-verifying pool.
        self._clients: dict[bool, httpx.Client] = {}
        self._endpoints: dict[EndpointKey, tuple[Endpoint, float]] = {}
        self._discovering: dict[EndpointKey, threading.Lock] = {}
        self._lock = threading.Lock()
        self.tokens = TokenCache(clock)

    def http(self, verify_tls: bool) -> httpx.Client:
        client = self._clients.get(verify_tls)
        if client is not None:
            return client
        with self._lock:
            if verify_tls not in self._clients:
                self._clients[verify_tls] = httpx.Client(
                    transport=self._transport_for(verify_tls),
                    verify=verify_tls,
                    timeout=self._timeout,
                    limits=POOL_LIMITS,
                    headers={"User-Agent": self._user_agent},
                    follow_redirects=True,
                    max_redirects=MAX_REDIRECTS,
                )
            return self._clients[verify_tls]

    def endpoint(self, key: EndpointKey) -> Endpoint | None:
        entry = self._endpoints.get(key)
        if entry is None or self._clock() >= entry[1]:
            return None
        return entry[0]

    def discovery(self, key: EndpointKey) -> threading.Lock:
        """Held while one thread pings a registry, so that the threads of a
        fresh process ping it once, not once each."""
        with self._lock:
            return self._discovering.setdefault(key, threading.Lock())

    def remember(self, key: EndpointKey, endpoint: Endpoint) -> None:
        self._endpoints[key] = (endpoint, self._clock() + ENDPOINT_LIFETIME)

    def forget(self, key: EndpointKey, endpoint: Endpoint) -> None:
        """Forget ``endpoint`` unless another thread already replaced it."""
        with self._lock:
            entry = self._endpoints.get(key)
            if entry is not None and entry[0] is endpoint:
                del self._endpoints[key]

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            self._endpoints.clear()
        for client in clients:
            client.close()
        if self.quick is not None:
            self.quick.close()


def host_of(url: httpx.URL) -> str:
    """How pacing names a registry host: "host:port", or "host" on the default port."""
    return f"{url.host}:{url.port}" if url.port else url.host
