"""A bounded load test on loopback: API clients mixing reads, tags and
imports against gunicorn, while Celery workers and beat sweep thousands of
scheduled tags against a real registry. Reports errors and latency
percentiles; every loop is bounded in count and time.

The test suite runs a small version (test_load.py), bounded in requests
and checking only correctness. The full one, whose figures are a
measurement, against a PostgreSQL database of its own (created and
migrated here):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imagestreams_load \\
      .venv/bin/python -m tests.reliability.load --clients 50 --duration 60 --scheduled-tags 10000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from imagestreams.access import acting, acting_system
from tests.registry_lab.net import REQUEST_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
# Requests per client are also capped, so a fast server cannot make a run unbounded.
MAX_REQUESTS_PER_CLIENT = 100_000


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors.append(f"{kind}: {error}")

    @property
    def total(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def percentile(self, kind: str | None, q: float) -> float:
        values = sorted(v for k, vs in self.latencies.items() if kind in (None, k) for v in vs)
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    def report(self, duration: float, sweep: dict[str, int]) -> str:
        lines = [
            f"requests: {self.total} in {duration:.0f}s ({self.total / duration:.0f}/s), "
            f"errors: {len(self.errors)}",
            f"{'kind':<10}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}",
        ]
        for kind in [*sorted(self.latencies), None]:
            values = (
                self.latencies[kind] if kind else [v for vs in self.latencies.values() for v in vs]
            )
            if not values:
                continue
            lines.append(
                f"{kind or 'all':<10}{len(values):>8}{self.percentile(kind, 0.50):>9.1f}"
                f"{self.percentile(kind, 0.95):>9.1f}{self.percentile(kind, 0.99):>9.1f}"
                f"{max(values) * 1000:>9.1f}"
            )
        lines.append(
            "scheduled sweep during the run: "
            + ", ".join(f"{key} {value}" for key, value in sweep.items())
        )
        lines.extend(self.errors[:20])
        return "\n".join(lines)


@dataclass(frozen=True)
class Bounds:
    """How long each client goes on: `requests` requests, and (for a
    measurement) no longer than until `until` (time.monotonic())."""

    requests: int = MAX_REQUESTS_PER_CLIENT
    until: float | None = None

    def over(self) -> bool:
        return self.until is not None and time.monotonic() >= self.until


def client_loop(base: str, token: str, source: str, number: int, bounds: Bounds, results: Results):
    """One API client: mostly reads, some tags and some imports."""
    rng = random.Random(number)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT) as http:
        for count in range(bounds.requests):
            if bounds.over():
                return
            kind, method, path, body = _next_request(rng, number, count, source)
            started = time.monotonic()
            try:
                response = http.request(method, path, json=body)
                error = (
                    ""
                    if response.status_code < 400
                    else f"{response.status_code} {response.text[:200]}"
                )
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            results.add(kind, time.monotonic() - started, error)


def _next_request(rng: random.Random, number: int, count: int, source: str):
    """(kind, method, path, body): 55% stream reads, 20% tag histories, 17%
    tags (a new tag copied from another), 8% imports from the registry."""
    roll = rng.random()
    stream = f"load{rng.randrange(20)}"
    if roll < 0.55:
        return "read", "GET", f"/api/v1/projects/load/imagestreams/{stream}", None
    if roll < 0.75:
        return "history", "GET", f"/api/v1/projects/load/imagestreamtags/{stream}:t0/history", None
    if roll < 0.92:
        body = {"source": f"{stream}:t0", "destinations": [f"copies:c{number}-{count}"]}
        return "tag", "POST", "/api/v1/projects/load/tag", body
    body = {
        "target": f"imported:n{number}-{count % 5}",
        "from": source,
        "confirm": True,
        "insecure": True,
    }
    return "import", "POST", "/api/v1/projects/load/imports", body


def seed(source: str, scheduled_tags: int, streams: int = 20) -> str:
    """Project "load", its admin's API token, `streams` streams whose tag t0
    is imported, and `scheduled_tags` scheduled tags (spread over 100
    streams) enrolled for the sweep. Returns the token."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from imagestreams.models import ImageStream, Tag
    from imagestreams.scheduling.claims import enrol
    from imagestreams.services.import_image import ImportImageRequest, import_image
    from imagestreams.services.projects import project_create
    from imagestreams.services.tokens import token_create

    user = get_user_model().objects.create_user("load-admin", password="load-admin-password")
    project = project_create(name="load", by=acting(user, "task"))
    for n in range(streams):
        import_image(
            project=project,
            request=ImportImageRequest(
                target=f"load{n}:t0", from_image=source, confirm=True, insecure=True
            ),
            by=acting_system(),
        )
    holders = [ImageStream.objects.create(project=project, name=f"sched{n}") for n in range(100)]
    Tag.objects.bulk_create(
        [
            Tag(
                stream=holders[n % len(holders)],
                name=f"s{n}",
                from_kind="DockerImage",
                from_name=source,
                insecure=True,
                scheduled=True,
                generation=1,
            )
            for n in range(scheduled_tags)
        ],
        batch_size=1000,
    )
    while enrol(now=timezone.now(), interval=30.0, limit=5000):
        pass
    return token_create(by=acting(user, "task"), name="load")[1]


def sweep_progress(since) -> dict[str, int]:
    from imagestreams.models import Tag

    scheduled = Tag.objects.filter(scheduled=True)
    return {
        "tags": scheduled.count(),
        "checked during the run": scheduled.filter(last_checked_at__gte=since).count(),
        "failing": scheduled.exclude(condition_reason="").count(),
    }


@dataclass
class LoadRun:
    results: Results
    started_at: datetime  # when the workers and beat were started
    elapsed: float  # seconds the clients ran

    def sweep(self) -> dict[str, int]:
        """The scheduled sweep's progress since the start (it goes on while
        the cluster runs)."""
        return sweep_progress(self.started_at)

    def report(self) -> str:
        return self.results.report(self.elapsed, self.sweep())


def run_load(
    *,
    cluster,
    source: str,
    clients: int,
    scheduled_tags: int,
    web_workers: int,
    duration: float | None = None,
    requests_per_client: int = MAX_REQUESTS_PER_CLIENT,
) -> LoadRun:
    """With `cluster` (tests.processes.Processes, Redis started) and the
    database ready: seed, start gunicorn, workers and beat, run the clients
    (each for `requests_per_client` requests, or `duration` seconds if
    sooner), stop gunicorn; workers and beat go on until the cluster is
    stopped."""
    from django.utils import timezone

    token = seed(source, scheduled_tags)
    cluster.env.update(
        IMAGESTREAMS_SCHEDULED_INTERVAL="30",
        IMAGESTREAMS_SCHEDULED_BATCH_SIZE="200",
        IMAGESTREAMS_REGISTRY_REQUESTS_PER_SECOND="2000",
        IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY="8",
        IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS="1",
        IMAGESTREAMS_RATE_LIMIT_TOKENS="1000000/60",
    )
    base = cluster.gunicorn(web_workers)
    try:
        cluster.beat()
        cluster.worker("worker-1")
        started_at = timezone.now()
        results = Results()
        until = None if duration is None else time.monotonic() + duration
        bounds = Bounds(requests=requests_per_client, until=until)
        threads = [
            threading.Thread(
                target=client_loop, args=(base, token, source, n, bounds, results), daemon=True
            )
            for n in range(clients)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()  # each client's loop is bounded
        return LoadRun(results, started_at, time.monotonic() - began)
    finally:
        cluster.stop("gunicorn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--scheduled-tags", type=int, default=10_000)
    parser.add_argument("--web-workers", type=int, default=4)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database this run may create and fill")
    workdir = Path(tempfile.mkdtemp(prefix="imagestreams-load-"))
    os.environ.setdefault("SECRET_KEY", "load-test-not-secret")
    os.environ["DATA_DIR"] = str(workdir / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.process_settings"
    os.environ["TEST_PROCESS_QUEUE"] = "load"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django
    from django.core.management import call_command

    _recreate_database(os.environ["DATABASE_URL"])
    django.setup()
    call_command("migrate", verbosity=0)

    from tests.processes import FAST_LOOPS, running
    from tests.registry_lab.images import Pusher
    from tests.registry_lab.registry import RegistryProcess

    with RegistryProcess(workdir / "registry") as registry:
        Pusher(registry.url).push_image("load/app", "1", text="load")
        with running(workdir, **FAST_LOOPS) as cluster:
            cluster.start_redis()
            run = run_load(
                cluster=cluster,
                source=f"{registry.host}/load/app:1",
                clients=args.clients,
                duration=args.duration,
                scheduled_tags=args.scheduled_tags,
                web_workers=args.web_workers,
            )
            report = run.report()
    print(
        f"{args.clients} clients, {args.duration:.0f}s, {args.scheduled_tags} scheduled tags, "
        f"{args.web_workers} gunicorn workers, 1 Celery worker (prefork) + beat"
    )
    print(report)
    sys.exit(1 if run.results.errors else 0)


def _recreate_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
