"""Which HTTP client for the checks: the same manifest HEADs of the same tags,
8 in flight, sent from the driver by each candidate in turn (registry-lab §6:
httpx's async pool gets slower as concurrency rises; the httpx-aiohttp
transport keeps httpx's API on aiohttp's connection handling).

- the product's RegistryClient, one per thread (what a worker process runs
  for tags that changed or need a ping or token first);
- the product's QuickHeads: prepared HEADs on one event loop, its own HEAD-only
  HTTP/1.1 exchange (registry/quick.py; what a worker sends for tags expected
  unchanged);
- plain `httpx.Client`, one per thread;
- `httpx.AsyncClient`, pool limited to the concurrency;
- `httpx.AsyncClient` on `httpx_aiohttp.AiohttpTransport`;
- `aiohttp.ClientSession` directly.

Rate and the driver's CPU per request (time.process_time, all threads).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import httpx

from bench.context import Context
from bench.tools import spread
from imagestreams.registry.client import RegistryClient
from imagestreams.registry.quick import PreparedHead, QuickHeads
from imagestreams.registry.reference import parse_reference
from imagestreams.services.imports import import_guard
from tests.registry_lab.build import ACCEPT_ALL

CONCURRENCY = 8
HEADERS = {"Accept": ACCEPT_ALL}


def run(ctx: Context) -> dict:
    tags = ctx.sweep_upstream[: ctx.sizes.small_sweep]
    urls = [f"{ctx.lab.upstream.url}/v2/{t.repository}/manifests/{t.tag}" for t in tags]
    references = [f"{ctx.upstream_host}/{t.repository}:{t.tag}" for t in tags]
    candidates: dict[str, Callable[[], int]] = {
        "imagestreams RegistryClient, 8 threads": lambda: _registry_client(references),
        "imagestreams QuickHeads (HEAD-only, event loop)": lambda: _quick_heads(ctx, urls),
        "httpx.Client, 8 threads": lambda: _threads(urls),
        "httpx.AsyncClient": lambda: asyncio.run(_httpx_async(urls, aiohttp_transport=False)),
        "httpx.AsyncClient + httpx-aiohttp": lambda: asyncio.run(
            _httpx_async(urls, aiohttp_transport=True)
        ),
        "aiohttp.ClientSession": lambda: asyncio.run(_aiohttp(urls)),
    }
    results = {}
    for name, candidate in candidates.items():
        rates, cpu = [], []
        for _ in range(ctx.sizes.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            done = candidate()
            seconds = time.perf_counter() - started
            rates.append(done / seconds)
            cpu.append(1000 * (time.process_time() - cpu_started) / done)
        results[name] = {"rate": spread(rates), "cpu_ms_per_request": spread(cpu, 3)}
    return {"requests": len(urls), "concurrency": CONCURRENCY, "clients": results}


def _split(items: list[str]) -> list[list[str]]:
    return [items[index::CONCURRENCY] for index in range(CONCURRENCY)]


def _registry_client(references: list[str]) -> int:
    """As a worker's threads do: one client per thread, then HEAD after HEAD."""

    guard = import_guard()  # read here: threads must not touch the database

    def work(chunk: list[str]) -> int:
        with RegistryClient(insecure_registries=[chunk[0].split("/")[0]], guard=guard) as client:
            for reference in chunk:
                client.head_manifest(parse_reference(reference), insecure=True)
        return len(chunk)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return sum(pool.map(work, _split(references)))


def _concurrency(limit: int):
    slots: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def paced(host: str) -> AsyncIterator[None]:
        nonlocal slots
        slots = slots or asyncio.Semaphore(limit)
        async with slots:
            yield

    return paced


def _quick_heads(ctx: Context, urls: list[str]) -> int:
    """What a worker sends for tags expected unchanged: prepared HEADs on the
    event loop of registry/quick.py (CONCURRENCY in flight, no rate limit here)."""
    heads = QuickHeads(import_guard(), timeout=30.0, user_agent="bench")
    try:
        prepared = [PreparedHead(ctx.upstream_host, url, HEADERS, False) for url in urls]
        answers = heads.digests(prepared, _concurrency(CONCURRENCY))
    finally:
        heads.close()
    missing = [url for url, (digest, _) in zip(urls, answers, strict=True) if digest is None]
    if missing:
        raise RuntimeError(f"HEAD {missing[0]} gave no digest")
    return len(urls)


def _threads(urls: list[str]) -> int:
    local = threading.local()

    def head(url: str) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30.0)
        _expect(local.client.head(url, headers=HEADERS).status_code, url)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(head, urls))
    return len(urls)


async def _httpx_async(urls: list[str], *, aiohttp_transport: bool) -> int:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    transport = None
    if aiohttp_transport:
        from httpx_aiohttp import AiohttpTransport

        transport = AiohttpTransport(limits=limits)
    async with httpx.AsyncClient(limits=limits, transport=transport, timeout=30.0) as client:

        async def head(chunk: list[str]) -> None:
            for url in chunk:
                _expect((await client.head(url, headers=HEADERS)).status_code, url)

        await asyncio.gather(*(head(chunk) for chunk in _split(urls)))
    return len(urls)


async def _aiohttp(urls: list[str]) -> int:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def head(chunk: list[str]) -> None:
            for url in chunk:
                async with session.head(url, headers=HEADERS) as response:
                    _expect(response.status, url)

        await asyncio.gather(*(head(chunk) for chunk in _split(urls)))
    return len(urls)


def _expect(status: int, url: str) -> None:
    if status != 200:
        raise RuntimeError(f"HEAD {url} -> {status}")
