"""Many manifest HEADs at once, for the common case of a scheduled check: the
registry's endpoint and token are known and the tag has not changed.

``QuickHeads`` sends prepared HEADs (URL and headers from
``RegistryClient.prepared_head``) on one event loop of its own, kept with its
connections for the life of the process, and reports each answer's digest.
It only has to recognise one answer: ``200`` with a well-formed
``Docker-Content-Digest``. Anything else (another status, a malformed or
unusual response, a timeout, a refused address) is reported as None, and the
caller checks that tag the ordinary way (httpx), which knows how to
authenticate, follow redirects, back off and explain failures.

Why not a general HTTP client: HEAD answers carry no body, one request is in
flight per connection, and every doubt goes to the ordinary path, so the
whole exchange is "write the prepared bytes, read up to the blank line". That
costs about 0.1 ms of CPU per request against 0.15 ms for aiohttp and 0.7 ms
for our httpx client in threads (docs/benchmarks.md, "Which HTTP client"), and
worker CPU per unchanged check is what the scheduled sweep's capacity is made of.

Connections pass the same SSRF guard as the synchronous client: names are
resolved through ``Guard.checked_addresses`` and the connection is opened to
exactly the addresses it returned (TLS still verifies the host name, with
the same context httpx would build).
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from httpcore import ConnectError  # BlockedAddress, or a name that does not resolve

from .netguard import Guard
from .reference import is_digest

# The caller's pacing: entered around each request to a host ("host:port").
Pace = Callable[[str], AbstractAsyncContextManager[None]]
# The digest a HEAD answered (None: check the ordinary way) and its seconds.
Answer = tuple[str | None, float]
# Told of every HEAD sent: (method, path). Tests count requests with it.
Observer = Callable[[str, str], None]

MAX_RESPONSE_HEAD = 64 * 1024
# Idle connections older than this are closed rather than reused: a registry
# or a proxy in front of it may drop them silently.
IDLE_EXPIRY = 30.0


@dataclass(frozen=True)
class PreparedHead:
    host: str  # "host:port", what pacing is keyed by
    url: str
    headers: dict[str, str]
    verify_tls: bool


class Unusable(Exception):
    """The answer is not one this client recognises: check the ordinary way."""


class StaleConnection(Exception):
    """A reused connection closed before answering; a fresh one may succeed."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    netloc: str  # as in the URL: the Host header
    host: str
    port: int


@functools.lru_cache(maxsize=256)
def origin_of(scheme: str, netloc: str) -> Origin:
    parts = urlsplit(f"{scheme}://{netloc}")
    if scheme not in ("http", "https") or not parts.hostname:
        raise Unusable(f"not an http(s) origin: {scheme}://{netloc}")
    port = parts.port or (443 if scheme == "https" else 80)
    return Origin(scheme, netloc, parts.hostname, port)


def split_url(url: str) -> tuple[Origin, str]:
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    return origin_of(scheme, netloc), slash + path


def request_bytes(origin: Origin, path: str, headers: dict[str, str], user_agent: str) -> bytes:
    """The HEAD as sent; Unusable if any part could split the request."""
    lines = [f"HEAD {path} HTTP/1.1", f"Host: {origin.netloc}", f"User-Agent: {user_agent}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    # A line break in a value (a token from a hostile registry, say) would
    # add headers of its own; a space in the path would end the request line.
    if " " in path or any("\r" in line or "\n" in line for line in lines):
        raise Unusable("a header or the path cannot be sent as is")
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    except UnicodeEncodeError:
        raise Unusable("a header or the path is not ASCII") from None


def parse_answer(head: bytes) -> tuple[int, str | None, bool]:
    """(status, Docker-Content-Digest, connection reusable) of a response head.
    Header names are matched whole, at a line start, once: a folded, repeated
    or oddly spaced digest header gives no digest (the ordinary path decides)."""
    status_line, _, _ = head.partition(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code = rest[:3]
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or not code.isdigit() or rest[3:4] not in b" ":
        raise Unusable("not an HTTP/1.x status line")
    lowered = head.lower()
    return int(code), _digest_in(head, lowered), _keeps_alive(version, lowered)


_DIGEST_HEADER = b"\r\ndocker-content-digest:"


def _digest_in(head: bytes, lowered: bytes) -> str | None:
    start = lowered.find(_DIGEST_HEADER)
    if start < 0 or lowered.find(_DIGEST_HEADER, start + 1) >= 0:
        return None
    start += len(_DIGEST_HEADER)
    end = head.find(b"\r\n", start)
    value = head[start:] if end < 0 else head[start:end]
    if end >= 0 and head[end + 2 : end + 3] in (b" ", b"\t"):
        return None  # continued on the next line (obsolete folding)
    return value.strip(b" \t").decode("ascii", "replace")


def _keeps_alive(version: bytes, lowered: bytes) -> bool:
    if version != b"HTTP/1.1":
        return False
    start = lowered.find(b"\r\nconnection:")
    if start < 0:
        return True
    end = lowered.find(b"\r\n", start + 2)
    return b"close" not in (lowered[start:] if end < 0 else lowered[start:end])


class HeadConnection(asyncio.Protocol):
    """One keep-alive connection; one HEAD at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.deadline = 0.0  # of the HEAD in flight (loop time)
        self._buffer = bytearray()
        self._answer: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        answer = self._answer
        if answer is None or answer.done():
            self.close()  # bytes nobody asked for: never reuse this connection
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_RESPONSE_HEAD:
                answer.set_exception(Unusable("the response head is too large"))
                self.close()
            return
        if len(self._buffer) > end + 4:
            self.close()  # a HEAD answer has no body: this one cannot be trusted
            answer.set_exception(Unusable("bytes after the response head"))
            return
        head = bytes(self._buffer[:end])
        self._buffer.clear()
        answer.set_result(head)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self._answer
        if answer is not None and not answer.done():
            if self._buffer:
                answer.set_exception(Unusable("the connection closed mid-answer"))
            else:
                answer.set_exception(StaleConnection())

    async def exchange(self, request: bytes, deadline: float) -> bytes:
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self.deadline = deadline
        try:
            self.transport.write(request)
            return await self._answer
        finally:
            self._answer = None

    def expire(self, now: float) -> None:
        """Give up on an answer that is past its deadline."""
        answer = self._answer
        if answer is not None and not answer.done() and now > self.deadline:
            answer.set_exception(TimeoutError())
            self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class QuickHeads:
    """HEADs on an event loop in a thread of its own; thread-safe to call.
    How many are in flight at once is the caller's pacing: one connection
    per HEAD in flight, kept for the next."""

    def __init__(
        self,
        guard: Guard,
        *,
        timeout: float,
        user_agent: str,
        observer: Observer | None = None,
    ) -> None:
        self._guard = guard
        self._timeout = timeout
        self._user_agent = user_agent
        self._observer = observer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Used on the event loop's thread only.
        self._idle: dict[tuple[Origin, bool], list[HeadConnection]] = {}
        self._busy: set[HeadConnection] = set()
        self._tls: dict[bool, ssl.SSLContext] = {}

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
        asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(timeout=10)
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
                loop.call_soon_threadsafe(self._watch)
                self._loop, self._thread = loop, thread
            return self._loop

    def _watch(self) -> None:
        """Time out HEADs past their deadline. One timer for all of them: a
        timer per request cost more CPU than the rest of its bookkeeping."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for connection in list(self._busy):
            connection.expire(now)
        loop.call_later(min(max(self._timeout / 4, 0.05), 0.5), self._watch)

    async def _all(self, heads: Sequence[PreparedHead | None], pace: Pace) -> list[Answer]:
        return list(await asyncio.gather(*(self._one(head, pace) for head in heads)))

    async def _one(self, head: PreparedHead | None, pace: Pace) -> Answer:
        if head is None:
            return None, 0.0
        started = time.monotonic()
        try:
            origin, path = split_url(head.url)
            request = request_bytes(origin, path, head.headers, self._user_agent)
            async with pace(head.host):
                started = time.monotonic()
                if self._observer is not None:
                    self._observer("HEAD", path)
                status, digest = await self._send(origin, head.verify_tls, request)
            found = digest if status == 200 and digest and is_digest(digest) else None
        except (TimeoutError, OSError, ValueError, Unusable, StaleConnection, ConnectError):
            found = None  # the ordinary check will say what went wrong
        return found, time.monotonic() - started

    async def _send(
        self, origin: Origin, verify_tls: bool, request: bytes
    ) -> tuple[int, str | None]:
        deadline = asyncio.get_running_loop().time() + self._timeout
        connection = self._idle_connection(origin, verify_tls)
        if connection is not None:
            try:
                return await self._exchange(connection, origin, verify_tls, request, deadline)
            except StaleConnection:
                pass  # closed by the server while idle: HEAD is safe to send again
        remaining = deadline - asyncio.get_running_loop().time()
        connection = await asyncio.wait_for(self._connect(origin, verify_tls), remaining)
        return await self._exchange(connection, origin, verify_tls, request, deadline)

    async def _exchange(
        self,
        connection: HeadConnection,
        origin: Origin,
        verify_tls: bool,
        request: bytes,
        deadline: float,
    ) -> tuple[int, str | None]:
        self._busy.add(connection)
        try:
            status, digest, reusable = parse_answer(await connection.exchange(request, deadline))
        except BaseException:
            connection.close()
            raise
        finally:
            self._busy.discard(connection)
        if reusable and not connection.closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault((origin, verify_tls), []).append(connection)
        else:
            connection.close()
        return status, digest

    def _idle_connection(self, origin: Origin, verify_tls: bool) -> HeadConnection | None:
        idle = self._idle.get((origin, verify_tls))
        oldest_usable = time.monotonic() - IDLE_EXPIRY
        while idle:
            connection = idle.pop()
            if not connection.closed and connection.idle_since > oldest_usable:
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin, verify_tls: bool) -> HeadConnection:
        loop = asyncio.get_running_loop()
        addresses = await loop.run_in_executor(
            None, guarded_addresses, self._guard, origin.host, origin.port
        )
        tls = self._tls_context(verify_tls) if origin.scheme == "https" else None
        last_error: OSError | None = None
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    HeadConnection,
                    address,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls else None,
                )
                return connection
            except OSError as exc:
                last_error = exc  # like create_connection: try the next address
        raise last_error or OSError(f"cannot resolve {origin.host}")

    def _tls_context(self, verify_tls: bool) -> ssl.SSLContext:
        context = self._tls.get(verify_tls)
        if context is None:
            # The very context the synchronous client verifies with.
            context = self._tls[verify_tls] = httpx.create_ssl_context(verify=verify_tls)
        return context

    async def _close_all(self) -> None:
        idle, self._idle = self._idle, {}
        for connection in [*self._busy, *(c for cs in idle.values() for c in cs)]:
            connection.close()
        await asyncio.sleep(0)  # the transports close their sockets on the next turn


def guarded_addresses(guard: Guard, host: str, port: int) -> list[str]:
    """The addresses a HEAD to ``host`` may connect to (BlockedAddress if none)."""
    if guard.allow_private or guard.trusts(host, port):
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))
    return guard.checked_addresses(host, port)
