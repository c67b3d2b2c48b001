"""2. Change-to-trigger latency: from a change (a push to the integrated
registry, or an upstream push that a scheduled check finds) to the trigger's
webhook arriving at a local receiver.

One change at a time: push, wait for the webhook, push the next. The clock
starts when the registry has answered the manifest PUT (the push is done for
whoever pushed) and stops when the receiver has read the webhook's request;
both times come from this process's monotonic clock.

- push: registry notification -> POST /hooks/registry (gunicorn) -> worker
  applies the push -> history entry and delivery -> worker sends the webhook.
- scheduled: the upstream registry's push webhook (POST /hooks/generic, what
  Docker Hub, Quay or Harbor send) makes the scheduled tag due -> sweep ->
  check (HEAD, then GET manifest and config) -> import -> delivery -> webhook.
  Without a registry webhook a change waits for the tag's next check (up to
  one interval, 15 minutes by default) before this path starts.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from itertools import pairwise

import httpx
from django.utils import timezone

from bench.config import DEFAULT_LEVEL
from bench.context import Context
from bench.seed import base_image, project, variant
from bench.tools import percentile
from imagestreams.access import acting_system
from imagestreams.hooks.signatures import generic_signature
from imagestreams.models import RegistryEvent, Tag, TagChange
from imagestreams.scheduling.claims import enrol
from imagestreams.services.tagging import TagOptions, tag_set
from tests.registry_lab.images import Pusher
from triggers.models import DeliveryAttempt
from triggers.services.triggers import trigger_create

PROJECT = "latency"
TIMEOUT = 60.0
EMBEDDED_POLLING = 0.1  # the product's default (IMAGESTREAMS_FS_BROKER_POLLING_SECONDS)
SLOW_POLLING = 1.0  # kombu's default


def run(ctx: Context) -> dict:
    owner = project(PROJECT)
    receiver = ctx.receiver
    trigger_create(
        project=owner, name="on-push", stream="app", url=f"{receiver.url}/push", by=acting_system()
    )
    trigger_create(
        project=owner,
        name="on-check",
        stream="follow",
        url=f"{receiver.url}/check",
        by=acting_system(),
    )
    # The paths on the default web and worker first, then the embedded
    # variants (each a restart of both; of the web only in a smoke run, whose
    # worker on the filesystem broker boots meanwhile).
    if ctx.sizes.standby_workers:
        level = DEFAULT_LEVEL
        ctx.lab.boot_standby_worker(
            processes=level.processes,
            threads=level.threads,
            own_queue=False,  # another broker
            **_broker(ctx, EMBEDDED_POLLING),
        )
    results = {"push": _push_path(ctx), "scheduled": _scheduled_path(ctx, owner)}
    try:
        results["push_embedded"] = _embedded(ctx, polling=EMBEDDED_POLLING, changes=None)
        if ctx.sizes.slow_polling_changes:
            slow = ctx.sizes.slow_polling_changes
            results["push_embedded_1s"] = _embedded(ctx, polling=SLOW_POLLING, changes=slow)
    finally:
        if ctx.restore_lab:
            _restart(ctx.lab, {}, ping=True)
    return results


def _embedded(ctx: Context, *, polling: float, changes: int | None) -> dict:
    """The push path with web and worker on the filesystem broker (what
    `manage.py serve` runs; the database stays PostgreSQL), the broker
    polled every `polling` seconds; then the idle worker's CPU use. Web and
    worker stay so: the caller restarts them with the defaults."""
    lab = ctx.lab
    _restart(lab, _broker(ctx, polling), ping=False)
    result = _push_path(ctx, changes=changes)
    result["polling_seconds"] = polling
    result["idle_worker_cpu_percent"] = _idle_cpu(lab, ctx.sizes.idle_seconds)
    return result


def _broker(ctx: Context, polling: float) -> dict[str, str]:
    return {
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FS_DIR": str(ctx.workdir / "fs-broker"),
        "IMAGESTREAMS_FS_BROKER_POLLING_SECONDS": str(polling),
    }


def _restart(lab, settings: dict[str, str], *, ping: bool) -> None:
    """Web and worker with these settings, restarted side by side (nothing is
    measured meanwhile)."""
    level = DEFAULT_LEVEL
    lab.start_web_and_worker(
        processes=level.processes, threads=level.threads, ping=ping, **settings
    )


def _idle_cpu(lab, seconds: float) -> float:
    """Percent of one core the worker's processes use while nothing happens."""
    processes = lab.worker_processes()
    before = sum(sum(p.cpu_times()[:2]) for p in processes)
    time.sleep(seconds)
    after = sum(sum(p.cpu_times()[:2]) for p in processes)
    return round(100 * (after - before) / seconds, 2)


def _push_path(ctx: Context, changes: int | None = None) -> dict:
    repository = f"{PROJECT}/app"
    base = base_image(repository)
    with Pusher(ctx.lab.integrated.url) as pusher:
        pusher.push(repository, "base", base)  # blobs once; creates the stream
    _wait_for_webhooks(ctx, 1)

    def change(client: httpx.Client, note: str) -> tuple[str, float]:
        manifest = variant(base, note)
        return manifest.digest, _put(client, repository, "latest", manifest)

    return _measure(ctx, ctx.lab.integrated.url, change, path="/push", changes=changes)


def _scheduled_path(ctx: Context, owner) -> dict:
    repository = "latency/upstream"
    base = base_image(repository)
    with Pusher(ctx.lab.upstream.url) as pusher:
        pusher.push(repository, "latest", base)
    before = len(ctx.receiver.requests)
    tag_set(
        project=owner,
        source=f"{ctx.upstream_host}/{repository}:latest",
        destinations=["follow:latest"],
        options=TagOptions(scheduled=True, insecure=True),
        by=acting_system(),
    )
    _wait_for_webhooks(ctx, before + 1)  # the first import, by a worker
    # What the next sweep would do: enrol the tag, so that webhooks find it.
    enrol(now=timezone.now(), interval=900, limit=100)
    if not Tag.objects.get(stream__project=owner, stream__name="follow").source_registry:
        raise RuntimeError("the scheduled tag was not enrolled")
    hook = f"{ctx.lab.web_url}/hooks/generic"
    body = json.dumps({"repository": f"{ctx.upstream_host}/{repository}", "tags": ["latest"]})

    def change(client: httpx.Client, note: str) -> tuple[str, float]:
        manifest = variant(base, note)
        pushed = _put(client, repository, "latest", manifest)
        answer = client.post(
            hook,
            content=body,
            headers={**_signed(ctx.lab.webhook_secret, body), "Content-Type": "application/json"},
        )
        if answer.status_code != 202 or answer.json().get("tags_to_check") != 1:
            raise RuntimeError(f"generic webhook: {answer.status_code} {answer.text}")
        return manifest.digest, pushed

    return _measure(ctx, ctx.lab.upstream.url, change, path="/check")


def _signed(secret: str, body: str) -> dict[str, str]:
    """The generic webhook's headers, signed now (the timestamp is signed too)."""
    timestamp = str(int(time.time()))
    return {
        "X-Timestamp": timestamp,
        "X-Signature": generic_signature(secret, timestamp, body.encode()),
    }


def _measure(
    ctx: Context, registry_url: str, change, *, path: str, changes: int | None = None
) -> dict:
    sizes = ctx.sizes
    count = min(changes, sizes.latency_changes) if changes else sizes.latency_changes
    latencies, moves = [], []
    # The database's timestamps are wall-clock times: translate ours once.
    wall = time.time() - time.monotonic()
    with httpx.Client(base_url=registry_url, timeout=30.0) as client:
        for index in range(sizes.latency_warmup + count):
            seen = len(ctx.receiver.requests)
            digest, pushed = change(client, f"{path}-{index}-{uuid.uuid4().hex}")
            received = _wait_for_webhooks(ctx, seen + 1)[-1]
            payload = json.loads(received.body)
            if received.path != path or payload.get("digest") != digest:
                raise RuntimeError(f"unexpected webhook {received.path}: {payload}")
            if index >= sizes.latency_warmup:
                latencies.append(1000 * (received.at - pushed))
                moves.append((digest, wall + pushed, wall + received.at))
    return {**_summary(latencies), "stages_ms": _stages(moves)}


def _stages(changes: list[tuple[str, float, float]]) -> dict[str, float]:
    """Median time of each step, from the rows the steps wrote: the push's
    registry event (received by the web server), the history change, the
    delivery's claim by the sending worker."""
    steps: dict[str, list[float]] = {}
    for digest, pushed, received in changes:
        marks = [("change done", pushed)]
        event = RegistryEvent.objects.filter(digest=digest).first()
        if event is not None:
            marks.append(("notification received", event.received.timestamp()))
        tag_change = TagChange.objects.filter(digest=digest).first()
        attempt = (
            DeliveryAttempt.objects.filter(delivery__change=tag_change).order_by("started").first()
            if tag_change
            else None
        )
        if attempt is None:
            continue
        marks.append(("history entry written", tag_change.created.timestamp()))
        # An attempt starts when a worker has claimed the delivery.
        marks.append(("delivery claimed by a worker", attempt.started.timestamp()))
        marks.append(("webhook received", received))
        for (_, before), (name, after) in pairwise(marks):
            steps.setdefault(name, []).append(1000 * (after - before))
    return {name: round(statistics.median(values), 1) for name, values in steps.items()}


def _put(client: httpx.Client, repository: str, tag: str, manifest) -> float:
    """PUT the manifest; returns when the registry answered (monotonic clock)."""
    response = client.put(
        f"/v2/{repository}/manifests/{tag}",
        content=manifest.data,
        headers={"Content-Type": manifest.media_type},
    )
    if response.status_code != 201:
        raise RuntimeError(f"PUT {repository}:{tag} -> {response.status_code}")
    return time.monotonic()


def _wait_for_webhooks(ctx: Context, count: int):
    return ctx.receiver.wait_for(count, timeout=TIMEOUT)


def _summary(latencies: list[float]) -> dict:
    return {
        "changes": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "min_ms": round(min(latencies), 1),
        "samples_ms": [round(v, 2) for v in latencies],
    }
