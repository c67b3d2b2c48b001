"""The event-loop HEADs of scheduled checks go through the same SSRF guard."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import pytest

from imagestreams.registry.netguard import BlockedAddress, Guard
from imagestreams.registry.quick import GuardedResolver, PreparedHead, QuickHeads


@asynccontextmanager
async def unpaced(host: str):
    yield


def run(coroutine):
    """asyncio.run on a thread of its own: a browser test of the same worker
    process may have left Playwright's event loop running on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_resolver_refuses_internal_addresses():
    with pytest.raises(BlockedAddress):
        run(GuardedResolver(Guard()).resolve("127.0.0.1", 5000))


def test_the_resolver_lets_the_operator_allow_private_addresses():
    [found] = run(GuardedResolver(Guard(allow_private=True)).resolve("127.0.0.1", 5000))
    assert (found["host"], found["port"]) == ("127.0.0.1", 5000)


def test_a_head_to_a_blocked_host_is_left_to_the_ordinary_check():
    heads = QuickHeads(Guard(), timeout=5.0, user_agent="test")
    try:
        head = PreparedHead("127.0.0.1:9", "http://127.0.0.1:9/v2/a/manifests/1", {}, False)
        assert heads.digests([head, None], unpaced) == [(None, pytest.approx(0, abs=5)), (None, 0)]
    finally:
        heads.close()
