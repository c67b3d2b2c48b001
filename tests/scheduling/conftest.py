from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.scheduling import limits
from imagestreams.scheduling.checks import check_batch, default_transport
from imagestreams.scheduling.claims import enrol
from imagestreams.scheduling.sweep import sweep
from imagestreams.services.tagging import TagOptions, tag_set
from tests.factories import ProjectFactory

INTERVAL = 60.0


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    """Registry pauses live for the worker process; each test starts without them."""
    monkeypatch.setattr(limits, "_process_limits", limits.RegistryLimits(rate=1.0, concurrency=1))


@pytest.fixture(autouse=True)
def short_schedule(settings):
    settings.SCHEDULED_INTERVAL = INTERVAL
    settings.SCHEDULED_MINIMUM_INTERVAL = 1.0
    settings.SCHEDULED_BACKOFF_MAX = 3600.0
    settings.REGISTRY_REQUESTS_PER_SECOND = 1000.0
    settings.REGISTRY_MAX_CONCURRENCY = 4
    return settings


@pytest.fixture
def project(db):
    return ProjectFactory(name="team")


class CountingTransport(httpx.BaseTransport):
    """The real HTTP transport, counting "METHOD /path" of every request."""

    def __init__(self, inner: httpx.BaseTransport, counts: Counter, lock: threading.Lock):
        self.inner, self.counts, self.lock = inner, counts, lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.counts[f"{request.method} {request.url.path}"] += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Requests:
    """Counts the requests of scheduled checks: those of the synchronous client
    (`factory`, a transport) and the HEADs sent on the event loop (`observe`)."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.on_loop: Counter = Counter()  # the event loop's share of `counts`
        self.lock = threading.Lock()

    def factory(self, verify: bool) -> httpx.BaseTransport:
        return CountingTransport(default_transport(verify), self.counts, self.lock)

    @property
    def hooks(self) -> dict:
        """check_batch's keyword arguments that route every request past the counter."""
        return {"transport_factory": self.factory, "head_observer": self.observe}

    def observe(self, method: str, path: str) -> None:
        with self.lock:
            self.counts[f"{method} {path}"] += 1
            self.on_loop[method] += 1

    def to(self, method: str, fragment: str) -> int:
        return sum(
            n for key, n in self.counts.items() if key.startswith(f"{method} ") and fragment in key
        )

    def clear(self) -> None:
        self.counts.clear()
        self.on_loop.clear()


@pytest.fixture
def requests_seen() -> Requests:
    return Requests()


@pytest.fixture
def schedule(project):
    """`schedule("app:1", source)` sets a scheduled (insecure) tag like `oc tag --scheduled`."""

    def make(destination: str, source: str, *, enrolled: bool = True, **options) -> Tag:
        options = {"scheduled": True, "insecure": True, **options}
        [result] = tag_set(
            project=project,
            source=source,
            destinations=[destination],
            options=TagOptions(**options),
            by=acting_system(),
        )
        if enrolled:
            # What the next sweep does first: a first check time within one interval.
            enrol(now=timezone.now(), interval=INTERVAL, limit=1000)
        result.tag.refresh_from_db()
        return result.tag

    return make


@pytest.fixture
def run_due(requests_seen):
    """Run one sweep at `now + seconds` and check every batch it claimed, as
    beat and the workers would; returns the batch reports."""

    def run(seconds: float = 0.0, *, transport_factory=None):
        claims = sweep(now=timezone.now() + timedelta(seconds=seconds))
        hooks = requests_seen.hooks
        if transport_factory is not None:
            # The test's own transport: HEADs sent on the event loop pass it by.
            hooks = {"transport_factory": transport_factory}
        return [check_batch(c.token, c.tag_ids, by=acting_system(), **hooks) for c in claims]

    return run


def history(tag: Tag) -> list[str]:
    return [event.image.digest for event in tag.events.select_related("image")]
