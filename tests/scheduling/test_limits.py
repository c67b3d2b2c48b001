"""Per-registry pacing and concurrency (unit level: fake clock, mock transport)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from imagestreams.scheduling.limits import PacedTransport, RegistryLimits, TokenBucket
from tests.registry_lab.net import PATIENCE


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_bucket_allows_its_burst_then_paces_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10.0, burst=2.0, clock=clock, sleep=clock.sleep)
    for _ in range(2):
        bucket.acquire()
    assert clock.slept == []
    for _ in range(5):
        bucket.acquire()
    assert clock.slept == pytest.approx([0.1] * 5)
    assert clock.now == pytest.approx(0.5)


def test_waiting_threads_are_spread_by_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=4.0, burst=1.0, clock=clock, sleep=clock.sleep)
    waits = sorted(bucket.reserve() for _ in range(5))
    assert waits == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_a_pause_is_per_registry():
    clock = FakeClock()
    limits = RegistryLimits(rate=5.0, concurrency=2, clock=clock)
    limits.gate("quay.io").pause(30.0)
    clock.now = 10.0
    assert limits.gate("quay.io").paused_for() == 20.0
    assert limits.gate("docker.io").paused_for() == 0.0
    clock.now = 31.0
    assert limits.gate("quay.io").paused_for() == 0.0


def test_new_settings_keep_a_running_pause():
    clock = FakeClock()
    limits = RegistryLimits(rate=5.0, concurrency=2, clock=clock)
    limits.gate("quay.io").pause(30.0)
    limits.configure(rate=50.0, concurrency=8)
    gate = limits.gate("quay.io")
    assert (gate.rate, gate.concurrency, gate.paused_for()) == (50.0, 8, 30.0)


def test_the_transport_holds_at_most_the_concurrency_per_host():
    per_host = 6
    in_flight: dict[str, int] = {"a.example": 0, "b.example": 0}
    peak = dict(in_flight)
    entered = dict(in_flight)
    changed = threading.Condition()

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        with changed:
            in_flight[host] += 1
            entered[host] += 1
            peak[host] = max(peak[host], in_flight[host])
            changed.notify_all()
            # Keep the slot until a second request shares the host (or none
            # is left to come): the peak reaches the limit on any machine.
            changed.wait_for(lambda: in_flight[host] >= 2 or entered[host] == per_host, PATIENCE)
        time.sleep(0.02)  # room for a third request, were the limit not kept
        with changed:
            in_flight[host] -= 1
            changed.notify_all()
        return httpx.Response(200)

    transport = PacedTransport(
        httpx.MockTransport(handler), RegistryLimits(rate=10_000.0, concurrency=2)
    )
    with httpx.Client(transport=transport) as client:
        threads = [
            threading.Thread(target=client.get, args=(f"https://{host}/v2/",))
            for host in ("a.example", "b.example")
            for _ in range(per_host)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert peak == {"a.example": 2, "b.example": 2}
