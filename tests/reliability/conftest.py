"""Fixtures of the reliability tests: fault-injecting registries, scheduled
tags run through the real sweep and checks, and triggers that count changes."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.scheduling import limits
from imagestreams.scheduling.checks import check_batch
from imagestreams.scheduling.claims import enrol
from imagestreams.scheduling.sweep import sweep
from imagestreams.services.tagging import TagOptions, tag_set
from tests.registry_lab.net import REQUEST_TIMEOUT
from tests.reliability.faults import FaultProxy
from tests.triggers.outbox import fan_out
from triggers.models import Delivery
from triggers.services.triggers import trigger_create

INTERVAL = 60.0


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    """Registry pauses (429) live for the worker process; each test starts without them."""
    monkeypatch.setattr(limits, "_process_limits", limits.RegistryLimits(rate=1.0, concurrency=1))


@pytest.fixture
def short_schedule(settings):
    settings.SCHEDULED_INTERVAL = INTERVAL
    settings.SCHEDULED_MINIMUM_INTERVAL = 1.0
    settings.SCHEDULED_BACKOFF_MAX = 3600.0
    settings.REGISTRY_REQUESTS_PER_SECOND = 1000.0
    settings.REGISTRY_MAX_CONCURRENCY = 4
    # Generous: a race holds a registry answer while the test acts. A test
    # of timeouts shortens it only while its registry never answers.
    settings.REGISTRY_TIMEOUT = REQUEST_TIMEOUT
    return settings


@pytest.fixture
def fault_proxy(registry) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the session's open registry."""
    proxy = FaultProxy(registry.url).start()
    yield proxy
    proxy.close()


@pytest.fixture
def schedule(team):
    """`schedule("app:1", source)`: a scheduled (insecure) tag, enrolled, with
    a trigger on it so that every change leaves one delivery row."""

    def make(destination: str, source: str) -> Tag:
        stream, tag = destination.split(":")
        [result] = tag_set(
            project=team,
            source=source,
            destinations=[destination],
            options=TagOptions(scheduled=True, insecure=True),
            by=acting_system(),
        )
        if not team.triggers.filter(name=f"{stream}-{tag}").exists():
            trigger_create(
                project=team,
                name=f"{stream}-{tag}",
                stream=stream,
                tag=tag,
                url="https://receiver.invalid/hook",
                by=acting_system(),  # never sent: no worker runs here
            )
        enrol(now=timezone.now(), interval=INTERVAL, limit=1000)
        result.tag.refresh_from_db()
        return result.tag

    return make


def run_due_at(when) -> list:
    """One sweep at `when` and every batch it claimed checked, as beat and the
    workers would (the worker's own clock decides the next check)."""
    return [check_batch(c.token, c.tag_ids, by=acting_system()) for c in sweep(now=when)]


def run_next_check(tag: Tag) -> list:
    """Run the sweep just after the tag's next check is due."""
    tag.refresh_from_db()
    assert tag.next_check_at is not None, "the tag has no next check"
    return run_due_at(tag.next_check_at + timedelta(seconds=1))


def history(tag: Tag) -> list[str]:
    return list(tag.events.order_by("-id").values_list("image__digest", flat=True))


def deliveries(tag: Tag) -> list[str]:
    """Digests announced by the tag's trigger, one per delivery row, once
    every change is fanned out (as the workers here would)."""
    fan_out()
    rows = Delivery.objects.filter(change__tag_name=tag.name, change__stream_name=tag.stream.name)
    return list(rows.order_by("-id").values_list("change__digest", flat=True))


class OffLoopback(OSError):
    pass


def _is_loopback(host: object) -> bool:
    text = str(host or "").strip("[]").split("%", 1)[0]
    if text in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch):
    """No name resolution and no connection beyond loopback: generated inputs
    (registry names, webhook URLs) must not reach the network. They fail
    like an unreachable host instead."""
    resolve, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_resolve(host, *args, **kwargs):
        if not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: no network in this test")
        return resolve(host, *args, **kwargs)

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OffLoopback(f"refusing to connect to {address[0]}: no network in this test")
        return connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_resolve)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
