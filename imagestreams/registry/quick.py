"""Many manifest HEADs at once, for the common case of a scheduled check: the
registry's endpoint and token are known and the tag has not changed.

The synchronous client costs about 0.5 ms of CPU per request (httpx and
httpcore in threads); aiohttp on an event loop costs about a quarter of that
(bench, "Which HTTP client"). ``QuickHeads`` sends prepared HEADs (URL and
headers from ``RegistryClient.prepared_head``) on one event loop of its own,
kept with its connections for the life of the process, and reports each
answer's digest. Anything else (no digest, an error, a 401, a 429) is
reported as None: the caller then checks that tag the ordinary way, which
knows how to authenticate, back off and explain failures.

Connections pass the same SSRF guard as the synchronous client: names are
resolved through ``Guard.checked_addresses`` and aiohttp connects to exactly
the addresses it returned.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from .netguard import Guard, literal_address
from .reference import is_digest

# The caller's pacing: entered around each request to a host ("host:port").
Pace = Callable[[str], AbstractAsyncContextManager[None]]
# The digest a HEAD answered (None: check the ordinary way) and its seconds.
Answer = tuple[str | None, float]


@dataclass(frozen=True)
class PreparedHead:
    host: str  # "host:port", what pacing is keyed by
    url: str
    headers: dict[str, str]
    verify_tls: bool


class GuardedResolver(AbstractResolver):
    """aiohttp's name resolution through the import guard."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        if self._guard.allow_private or self._guard.trusts(host, port):
            checked: list[str] = await loop.run_in_executor(None, _resolve_any, host, port)
        else:
            checked = await loop.run_in_executor(None, self._guard.checked_addresses, host, port)
        return [_result(host, address, port) for address in checked]

    async def close(self) -> None:
        return None


class QuickHeads:
    """HEADs on an event loop in a thread of its own; thread-safe to call."""

    def __init__(
        self,
        guard: Guard,
        *,
        timeout: float,
        user_agent: str,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        connections: int = 32,
    ) -> None:
        self._guard = guard
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._user_agent = user_agent
        self._trace_configs = list(trace_configs)
        self._connections = connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._sessions: dict[bool, aiohttp.ClientSession] = {}
        self._lock = threading.Lock()

    def digests(self, heads: Sequence[PreparedHead | None], pace: Pace) -> list[Answer]:
        """The digest each HEAD answered, or None where the caller must check
        the ordinary way; and how long each took."""
        if not any(heads):
            return [(None, 0.0)] * len(heads)
        future = asyncio.run_coroutine_threadsafe(self._all(heads, pace), self._running_loop())
        return future.result()

    def close(self) -> None:
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close_sessions(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="registry-quick-heads", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _all(self, heads: Sequence[PreparedHead | None], pace: Pace) -> list[Answer]:
        return list(await asyncio.gather(*(self._one(head, pace) for head in heads)))

    async def _one(self, head: PreparedHead | None, pace: Pace) -> Answer:
        if head is None:
            return None, 0.0
        started = time.monotonic()
        try:
            async with pace(head.host):
                started = time.monotonic()
                session = self._session(head.verify_tls)
                async with session.head(head.url, headers=head.headers, allow_redirects=False) as r:
                    digest = r.headers.get("docker-content-digest", "").strip()
                    found = digest if r.status == 200 and is_digest(digest) else None
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
            found = None  # the ordinary check will say what went wrong
        return found, time.monotonic() - started

    def _session(self, verify_tls: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(verify_tls)
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=self._connections,
                resolver=GuardedResolver(self._guard),
                ssl=verify_tls,
                keepalive_timeout=60.0,
            )
            session = self._sessions[verify_tls] = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": self._user_agent},
                trace_configs=self._trace_configs or None,
                trust_env=False,
            )
        return session

    async def _close_sessions(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


def _resolve_any(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _result(host: str, address: str, port: int) -> Any:
    parsed = literal_address(address.split("%", 1)[0])
    family = socket.AF_INET6 if parsed is not None and parsed.version == 6 else socket.AF_INET
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    }
