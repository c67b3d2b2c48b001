"""1. Scheduled-check sweeps over unchanged tags, against the registry's raw
manifest-HEAD rate (`ab -i -k` at the same concurrency) and a sequential
`skopeo inspect --raw` loop, measured side by side; then the 100,000-tag
scale run at the default 15-minute interval.

A sweep is what beat starts every few seconds: the driver makes the chosen
tags due, sends one `scheduled_sweep` task and waits until every tag was
checked; the rate is tags / (last "checked" time - send time).
"""

from __future__ import annotations

import random
import time
from collections import Counter

from django.conf import settings
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils import timezone

from bench.apps import count_queries
from bench.config import DEFAULT_LEVEL, Level
from bench.context import Context
from bench.lab import CpuMeter, MemorySampler, wait_for
from bench.profiles import SpyRecording
from bench.seed import assert_loopback_only, make_due
from bench.tools import ab_head_manifest, percentile, skopeo_loop, spread
from imagestreams.access import acting_system
from imagestreams.models import Tag, TagEvent
from imagestreams.scheduling.checks import check_batch
from imagestreams.scheduling.claims import claim_due
from imagestreams.tasks import scheduled_sweep

SWEEP_PROJECT = "sweep"
BATCH_SIZES = (1, 10, 50, 200)
# Worker processes (prefork children, 4 requests in flight each) for the
# scaling table; the smoke run takes the code path with the default worker
# (already running: no restart).
PROCESS_SCALING = {"full": (1, 2, 4), "smoke": (DEFAULT_LEVEL.processes,)}
THREADS = DEFAULT_LEVEL.threads
THREADS_ONLY = {"IMAGESTREAMS_SCHEDULED_ASYNC_HEADS": "0"}  # every check in threads


def run(ctx: Context) -> dict:
    assert_loopback_only()
    sizes = ctx.sizes
    small = ctx.sweep_tag_ids[: sizes.small_sweep]
    results: dict = {"levels": [], "small": len(small), "large": len(ctx.sweep_tag_ids)}
    if ctx.sizes.standby_workers:
        # Boots while the default worker is measured; swapped in for the variants.
        ctx.lab.boot_standby_worker(
            processes=DEFAULT_LEVEL.processes, threads=DEFAULT_LEVEL.threads, **_shared(ctx)
        )
    for level in sizes.levels:
        ctx.lab.start_worker(processes=level.processes, threads=level.threads)
        point = _level(ctx, level, small)
        results["levels"].append(point)
        if level == DEFAULT_LEVEL:
            results["default"] = _default_level(ctx, point)
    results["queries_by_batch_size"] = queries_by_batch_size(ctx, BATCH_SIZES)
    _default_worker(ctx)
    results["scale"] = scale(ctx)
    results["all_tags"] = _all_tags(ctx)
    results["processes"] = _processes(ctx)
    # The variants last, each a worker restart (none in a smoke run: see _variant_worker).
    results["tuned"] = _tuned(ctx)
    results["threads_only"] = _variant(ctx, **THREADS_ONLY)
    if ctx.restore_lab:
        _default_worker(ctx)
    return results


def _default_worker(ctx: Context) -> None:
    ctx.lab.start_worker(processes=DEFAULT_LEVEL.processes, threads=DEFAULT_LEVEL.threads)


def _variant_worker(ctx: Context, settings: dict[str, str]) -> dict[str, str]:
    """The default worker with these product settings. A smoke run's variants
    share one worker with all their settings, the standby booted beside the
    default one (the same code paths, no restart). Returns the settings the
    worker runs with."""
    if ctx.sizes.standby_workers:
        settings = _shared(ctx)
    ctx.lab.start_worker(
        processes=DEFAULT_LEVEL.processes, threads=DEFAULT_LEVEL.threads, **settings
    )
    return settings


def _shared(ctx: Context) -> dict[str, str]:
    return {**THREADS_ONLY, **_batch_size(ctx)}


def _batch_size(ctx: Context) -> dict[str, str]:
    return {"IMAGESTREAMS_SCHEDULED_BATCH_SIZE": str(ctx.sizes.tuned_batch_size)}


def _level(ctx: Context, level: Level, tag_ids: list[int]) -> dict:
    """The small sweep and ab at one concurrency, interleaved run by run."""
    ab_rates, sweeps = [], []
    for _ in range(ctx.sizes.runs):
        ab_rates.append(_ab(ctx, level.concurrency).rps)
        sweeps.append(sweep_once(ctx, tag_ids))
    return {
        "concurrency": level.concurrency,
        "processes": level.processes,
        "threads": level.threads,
        "ab_head_rps": spread(ab_rates),
        "sweep_rate": spread([s["rate"] for s in sweeps]),
        "ratio_to_ab": spread([s["rate"] / a for s, a in zip(sweeps, ab_rates, strict=True)], 2),
        "sweeps": sweeps,
    }


def _default_level(ctx: Context, small_point: dict) -> dict:
    """At the default concurrency: the large sweep, memory, CPU, skopeo, a profile."""
    sizes = ctx.sizes
    sample = _skopeo_sample(ctx)
    large, ab_rates, skopeo_rates = [], [], []
    with MemorySampler(ctx.lab) as memory:
        for _ in range(sizes.runs):
            ab_rates.append(_ab(ctx, DEFAULT_LEVEL.concurrency).rps)
            large.append(sweep_once(ctx, ctx.sweep_tag_ids))
            seconds = skopeo_loop(sample, "inspect", "--raw")
            skopeo_rates.append(len(sample) / seconds)
    small_rates = [s["rate"] for s in small_point["sweeps"]]
    return {
        "large": large,
        "large_rate": spread([s["rate"] for s in large]),
        "ab_head_rps": spread(ab_rates),
        "large_ratio_to_ab": spread(
            [s["rate"] / a for s, a in zip(large, ab_rates, strict=True)], 2
        ),
        "skopeo_sample": len(sample),
        "skopeo_rate": spread(skopeo_rates, 2),
        "small_ratio_to_skopeo": spread(
            [r / s for r, s in zip(small_rates, skopeo_rates, strict=True)], 1
        ),
        "large_ratio_to_skopeo": spread(
            [s["rate"] / k for s, k in zip(large, skopeo_rates, strict=True)], 1
        ),
        "memory": memory.as_dict(),
        "cpu_ms_per_check": _cpu_per_check(large),
        "profile": _profiled_sweep(ctx, seconds=max(s["seconds"] for s in large) + 1),
    }


def _cpu_per_check(sweeps: list[dict]) -> dict[str, dict]:
    """CPU milliseconds per check of each group of processes (median, min-max)."""
    groups = sorted({group for sweep in sweeps for group in sweep.get("cpu_seconds", {})})
    return {
        group: spread(
            [1000 * sweep["cpu_seconds"].get(group, 0.0) / sweep["tags"] for sweep in sweeps], 3
        )
        for group in groups
    }


def _measured_sweep(ctx: Context, tag_ids: list[int], projects: list[str] | None = None) -> dict:
    sweep = sweep_once(ctx, tag_ids, projects=projects)
    sweep["cpu_ms_per_check"] = {
        group: round(1000 * seconds / sweep["tags"], 3)
        for group, seconds in sweep["cpu_seconds"].items()
    }
    return sweep


def _all_tags(ctx: Context) -> dict:
    """One sweep of every scheduled tag (100,000 in the full run) at the
    default concurrency: the top of the scaling by tags (1k, 10k, 100k)."""
    tag_ids = list(
        Tag.objects.filter(scheduled=True, stream__project__name__in=ctx.scale_projects)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return _measured_sweep(ctx, tag_ids, ctx.scale_projects)


def _processes(ctx: Context) -> list[dict]:
    """The large sweep with 1, 2 and 4 worker processes of 4 requests in flight each."""
    points = []
    for processes in PROCESS_SCALING.get(ctx.sizes.name, (1,)):
        ctx.lab.start_worker(processes=processes, threads=THREADS)
        ab = _ab(ctx, processes * THREADS).rps
        sweep = _measured_sweep(ctx, ctx.sweep_tag_ids)
        points.append(
            {
                "processes": processes,
                "threads": THREADS,
                "ab_head_rps": ab,
                "rate": sweep["rate"],
                "requests_per_tag": sweep["requests_per_tag"],
                "cpu_ms_per_check": sweep["cpu_ms_per_check"],
                "cpu_seconds": sweep["cpu_seconds"],
                "seconds": sweep["seconds"],
            }
        )
    return points


def _variant(ctx: Context, **settings: str) -> dict:
    """The large sweep at the default concurrency with other product settings
    (a lever turned off), interleaved with ab like the default."""
    running = _variant_worker(ctx, settings)
    ab_rates, sweeps = [], []
    for _ in range(ctx.sizes.runs):
        ab_rates.append(_ab(ctx, DEFAULT_LEVEL.concurrency).rps)
        sweeps.append(_measured_sweep(ctx, ctx.sweep_tag_ids))
    return {
        "settings": settings,
        "worker_settings": running,
        "ab_head_rps": spread(ab_rates),
        "rate": spread([s["rate"] for s in sweeps]),
        "ratio_to_ab": spread([s["rate"] / a for s, a in zip(sweeps, ab_rates, strict=True)], 2),
        "requests_per_tag": [s["requests_per_tag"] for s in sweeps],
        "cpu_ms_per_check": _cpu_per_check(sweeps),
    }


def _tuned(ctx: Context) -> dict:
    """The large sweep at the default concurrency with other batches (50, the
    default until round 4): each batch has a fixed cost (claim, load, clients,
    write) that its tags share."""
    batch_size = ctx.sizes.tuned_batch_size
    running = _variant_worker(ctx, _batch_size(ctx))
    ab_rates, sweeps = [], []
    for _ in range(ctx.sizes.runs):
        ab_rates.append(_ab(ctx, DEFAULT_LEVEL.concurrency).rps)
        sweeps.append(_measured_sweep(ctx, ctx.sweep_tag_ids))
    return {
        "batch_size": batch_size,
        "worker_settings": running,
        "cpu_ms_per_check": _cpu_per_check(sweeps),
        "ab_head_rps": spread(ab_rates),
        "rate": spread([s["rate"] for s in sweeps]),
        "ratio_to_ab": spread([s["rate"] / a for s, a in zip(sweeps, ab_rates, strict=True)], 2),
        "requests_per_tag": [s["requests_per_tag"] for s in sweeps],
        "batch_queries": sweeps[0]["batch_queries"],
    }


def _ab(ctx: Context, concurrency: int):
    first = ctx.sweep_upstream[0]
    return ab_head_manifest(
        ctx.lab.upstream.url,
        first.repository,
        first.tag,
        concurrency=concurrency,
        seconds=ctx.sizes.ab_seconds,
        workdir=ctx.workdir,
    )


def _skopeo_sample(ctx: Context) -> list[str]:
    chosen = random.Random(8).sample(ctx.sweep_upstream, ctx.sizes.skopeo_sample)
    return [f"{ctx.upstream_host}/{t.repository}:{t.tag}" for t in chosen]


def sweep_once(
    ctx: Context, tag_ids: list[int], *, timeout: float = 600, projects: list[str] | None = None
) -> dict:
    """Make `tag_ids` (of `projects`, default "sweep") due, start one sweep,
    wait until all were checked. The CPU of each group of processes is
    measured from the sweep's start: making the tags due is the driver's
    work, not the product's (it was counted as PostgreSQL's until round 3)."""
    make_due(tag_ids)
    events = TagEvent.objects.count()
    log_mark, probe_mark = ctx.upstream_log.mark(), ctx.probe_mark()
    checked = Tag.objects.filter(stream__project__name__in=projects or [SWEEP_PROJECT])
    with CpuMeter(ctx.lab) as cpu:
        started = timezone.now()
        scheduled_sweep.apply_async(queue=ctx.lab.worker_queue)
        # The workers' lines tell when every batch is done: counting the
        # checked rows every 50 ms cost PostgreSQL 10 ms a count on the
        # 100,000-tag database, a fifth of a core taken from the sweep.
        batches = _batch_records(ctx, probe_mark, len(tag_ids), timeout=timeout)
    wait_for(
        lambda: checked.filter(last_checked_at__gte=started).count() >= len(tag_ids),
        timeout=30,
        what=f"the {len(tag_ids)} tags of the sweep to be checked",
        interval=0.5,
    )
    finished = checked.aggregate(last=Max("last_checked_at"))["last"]
    seconds = (finished - started).total_seconds()
    requests = ctx.upstream_log.count(log_mark, agent="imagestreams")
    return {
        "tags": len(tag_ids),
        "seconds": round(seconds, 3),
        "rate": round(len(tag_ids) / seconds, 1),
        "requests": dict(requests),
        "requests_per_tag": round(sum(requests.values()) / len(tag_ids), 3),
        "heads_per_tag": round(requests["HEAD manifest"] / len(tag_ids), 3),
        "batches": len(batches),
        "batch_queries": _by_size(batches),
        "sweep_queries": [
            r["queries"] for r in ctx.probe_since(probe_mark, task="sweep", settle=0)
        ],
        "outcomes": _outcomes(batches),
        "new_history_entries": TagEvent.objects.count() - events,
        "failed_tags": checked.exclude(condition_reason="").count(),
        "cpu_seconds": cpu.used,
    }


def _batch_records(
    ctx: Context, mark: int, expected_tags: int, *, timeout: float = 120
) -> list[dict]:
    """Wait for the workers' lines of every batch of this sweep."""
    records: list[dict] = []

    def complete() -> bool:
        records[:] = ctx.probe_since(mark, task="check_batch", settle=0)
        return sum(r["tags"] for r in records) >= expected_tags

    wait_for(complete, timeout=timeout, what="the workers' probe records", interval=0.05)
    return records


def _by_size(batches: list[dict]) -> list[list[int]]:
    """[tags in the batch, SQL statements, how many such batches]."""
    counted = Counter((b["tags"], b["queries"]) for b in batches)
    return [[tags, queries, n] for (tags, queries), n in sorted(counted.items())]


def queries_by_batch_size(ctx: Context, sizes: tuple[int, ...]) -> list[list[int]]:
    """The product's check_batch, called here on claimed batches of several
    sizes: [tags, SQL statements]. Unchanged tags should cost the same
    statements whatever the batch size."""
    found = []
    for wanted in (1, *sizes):  # the first call warms per-process caches: not counted
        tag_ids = ctx.sweep_tag_ids[:wanted]
        size = len(tag_ids)
        make_due(tag_ids)
        claim = claim_due(
            ctx.upstream_host, now=timezone.now(), limit=size, interval=settings.SCHEDULED_INTERVAL
        )
        with count_queries() as queries:
            report = check_batch(claim.token, claim.tag_ids, by=acting_system())
        if report.unchanged != size:
            raise RuntimeError(f"batch of {size}: {report.as_dict()}")
        found.append([size, queries.count])
    return found[1:]


def _outcomes(batches: list[dict]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for batch in batches:
        total.update(batch.get("result") or {})
    return dict(total)


def _profiled_sweep(ctx: Context, *, seconds: float) -> dict:
    """One more large sweep under py-spy (not counted in the figures)."""
    recording = SpyRecording(ctx.lab.worker.pid, ctx.workdir / "profile-sweep.raw", seconds=seconds)
    time.sleep(0.5)  # py-spy attaches
    sweep = sweep_once(ctx, ctx.sweep_tag_ids)
    summary = recording.summary(stop=ctx.sizes.short_profiles)
    summary["sweep_rate_while_profiled"] = sweep["rate"]
    return summary


# --- the scale run ---------------------------------------------------------------


def scale(ctx: Context) -> dict:
    """Every scheduled tag (100,000 in the full run) at the default interval,
    first checks spread over one interval as enrolment spreads them; beat's
    part (a sweep every IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS) is played by
    the driver for `scale_seconds`. Do the checks keep up with the due times?"""
    interval = settings.SCHEDULED_INTERVAL
    period = settings.SCHEDULED_SWEEP_SECONDS
    scheduled = Tag.objects.filter(scheduled=True, stream__project__name__in=ctx.scale_projects)
    scheduled.update(
        next_check_at=RawSQL("now() + random() * make_interval(secs => %s)", [interval]),
        check_claim="",
        last_checked_at=None,
    )
    due_at = dict(scheduled.values_list("pk", "next_check_at"))
    log_mark, probe_mark = ctx.upstream_log.mark(), ctx.probe_mark()
    started = timezone.now()
    sweeps = 0
    with MemorySampler(ctx.lab) as memory, CpuMeter(ctx.lab) as cpu:
        deadline = time.monotonic() + ctx.sizes.scale_seconds
        while True:
            scheduled_sweep.apply_async(queue=ctx.lab.worker_queue)
            last_sweep = timezone.now()
            sweeps += 1
            if time.monotonic() + period > deadline:
                break
            time.sleep(period)
        # The last sweep must have run (and claimed) before "no claim left"
        # means that every batch is done.
        wait_for(
            lambda: len(ctx.probe_since(probe_mark, task="sweep", settle=0)) >= sweeps,
            timeout=120,
            what="the last sweep of the scale run",
        )
        wait_for(
            lambda: not scheduled.exclude(check_claim="").exists(),
            timeout=120,
            what="the last batches of the scale run",
        )
    checked = dict(
        scheduled.filter(last_checked_at__gte=started).values_list("pk", "last_checked_at")
    )
    due = [pk for pk, at in due_at.items() if at <= last_sweep]
    late = [(checked[pk] - due_at[pk]).total_seconds() for pk in checked]
    window = (last_sweep - started).total_seconds() or period
    requests = ctx.upstream_log.count(log_mark, agent="imagestreams")
    batches = ctx.probe_since(probe_mark, task="check_batch")
    total_cpu = sum(cpu.used.values())
    return {
        "scheduled_tags": len(due_at),
        "interval_seconds": interval,
        "needed_rate": round(len(due_at) / interval, 1),
        "seconds": round(window, 1),
        "sweeps": sweeps,
        "sweep_period": period,
        "due_in_window": len(due),
        "checked": len(checked),
        "missed": len(set(due) - set(checked)),
        "achieved_rate": round(len(checked) / window, 1),
        "lateness_seconds": _lateness(late),
        "requests": dict(requests),
        "requests_per_tag": round(sum(requests.values()) / max(len(checked), 1), 3),
        "batches": len(batches),
        "batch_queries": _by_size(batches),
        "sweep_queries": [
            r["queries"] for r in ctx.probe_since(probe_mark, task="sweep", settle=0)
        ],
        "memory": memory.as_dict(),
        "cpu_seconds": cpu.used,
        "cpu_cores_used": round(total_cpu / cpu.seconds, 2) if cpu.seconds else 0,
        "cpu_ms_per_check": {
            group: round(1000 * seconds / max(len(checked), 1), 2)
            for group, seconds in cpu.used.items()
        },
    }


def _lateness(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
    }
