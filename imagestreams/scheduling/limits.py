"""Politeness towards registries inside one worker process.

Every request a scheduled check sends goes through ``PacedTransport``, which
waits for the registry host's token bucket (requests per second) and holds one
of its concurrency slots while the request is sent. A registry that answered
429 is paused until its Retry-After has passed; checks that have not started
yet are deferred instead of waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from imagestreams.registry.pool import host_of


class TokenBucket:
    """Thread-safe token bucket: ``rate`` tokens per second, at most ``burst``
    saved up. ``acquire`` sleeps (outside the lock) until a token is free."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token now or in the future; returns how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)


class RegistryGate:
    """The limits of one registry host."""

    def __init__(self, rate: float, concurrency: int, clock: Callable[[], float]) -> None:
        self.rate, self.concurrency = rate, concurrency
        # A burst of one second's worth keeps the pace smooth but lets a
        # fresh batch start without waiting.
        self.bucket = TokenBucket(rate, burst=rate, clock=clock)
        self.slots = threading.BoundedSemaphore(concurrency)
        self._clock = clock
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        return max(self._paused_until - self._clock(), 0.0)

    @contextmanager
    def request(self) -> Iterator[None]:
        self.bucket.acquire()
        with self.slots:
            yield


class RegistryLimits:
    """Gates by registry host, shared by every check of a worker process."""

    def __init__(
        self, rate: float, concurrency: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.concurrency = concurrency
        self._clock = clock
        self._gates: dict[str, RegistryGate] = {}
        self._lock = threading.Lock()

    def gate(self, host: str) -> RegistryGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None or (gate.rate, gate.concurrency) != (self.rate, self.concurrency):
                # Settings changed (tests, or a reload): start afresh but keep a pause.
                fresh = RegistryGate(self.rate, self.concurrency, self._clock)
                if gate is not None:
                    fresh.pause(gate.paused_for())
                gate = self._gates[host] = fresh
            return gate

    def configure(self, rate: float, concurrency: int) -> None:
        with self._lock:
            self.rate, self.concurrency = rate, concurrency


_process_limits = RegistryLimits(rate=20.0, concurrency=4)


def process_limits(rate: float, concurrency: int) -> RegistryLimits:
    """The limits shared by all batches that run in this process."""
    _process_limits.configure(rate, concurrency)
    return _process_limits


class AsyncPacing:
    """The same limits for requests sent on an event loop (registry/quick.py):
    the host's token bucket, and its concurrency as an asyncio semaphore
    (one batch at a time uses it, on the event loop's thread)."""

    def __init__(self, limits: RegistryLimits) -> None:
        self._limits = limits
        self._slots: dict[str, asyncio.Semaphore] = {}

    def __call__(self, host: str) -> _PacedRequest:
        return _PacedRequest(self, host)

    async def enter(self, host: str) -> asyncio.Semaphore:
        gate = self._limits.gate(host)
        wait = gate.bucket.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
        slots = self._slots.get(host)
        if slots is None:
            slots = self._slots[host] = asyncio.Semaphore(gate.concurrency)
        await slots.acquire()
        return slots


class _PacedRequest:
    """``async with pacing(host)``: a class, not a generator, because one is
    entered per HEAD and a generator-based context manager cost a tenth of a
    HEAD's CPU."""

    __slots__ = ("_host", "_pacing", "_slots")

    def __init__(self, pacing: AsyncPacing, host: str) -> None:
        self._pacing = pacing
        self._host = host
        self._slots: asyncio.Semaphore | None = None

    async def __aenter__(self) -> None:
        self._slots = await self._pacing.enter(self._host)

    async def __aexit__(self, *exc: object) -> None:
        assert self._slots is not None
        self._slots.release()


class PacedTransport(httpx.BaseTransport):
    """Wraps a transport so that each request waits for its host's gate."""

    def __init__(self, inner: httpx.BaseTransport, limits: RegistryLimits) -> None:
        self._inner = inner
        self._limits = limits

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._limits.gate(host_of(request.url)).request():
            return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
