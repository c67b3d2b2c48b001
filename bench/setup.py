"""Start the lab's processes and put the data in place for every benchmark
(the database migrated, the registry and the scheduled tags seeded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.core.management import call_command
from django.db import connection

from bench.config import DEFAULT_LEVEL
from bench.context import Context
from bench.seed import images_for, seed_registry, seed_scheduled, upstream_tags
from tests.triggers.receiver import Receiver

BULK_REPOSITORY = "bulk/app"


def run(ctx: Context, *, log: Callable[[str], None]) -> dict:
    lab = ctx.lab
    lab.start_registries()
    ctx.receiver = Receiver().start()
    # Web and worker boot (seconds of imports, neither touches the database
    # until asked) while the database is migrated and the data seeded.
    with ThreadPoolExecutor(1) as pool:
        level = DEFAULT_LEVEL
        booting = pool.submit(
            lab.start_web_and_worker, processes=level.processes, threads=level.threads
        )
        try:
            call_command("migrate", verbosity=0)
            seeded = _seed(ctx, log=log)
            _analyze()
        finally:
            booting.result()
    return seeded


def _analyze() -> None:
    """Planner statistics for the seeded tables, as autovacuum would gather in
    production (it is off on some machines; without statistics PostgreSQL
    picks plans for empty tables)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _seed(ctx: Context, *, log: Callable[[str], None]) -> dict:
    sizes, lab = ctx.sizes, ctx.lab
    sweep_layout = {
        f"bench/r{index:02d}": sizes.sweep_tags_per_repository
        for index in range(sizes.sweep_repositories)
    }
    bulk_layout = {BULK_REPOSITORY: sizes.bulk_tags}
    began = time.monotonic()
    pushed = seed_registry(
        lab.upstream.url, {**sweep_layout, **bulk_layout}, lab.upstream.workdir / "seeded.json"
    )
    registry_seconds = time.monotonic() - began
    log(f"registry: {'seeded' if pushed else 'reused'} in {registry_seconds:.0f} s")
    ctx.sweep_upstream = upstream_tags(sweep_layout)
    ctx.bulk_upstream = upstream_tags(bulk_layout)
    ctx.bulk_repository = BULK_REPOSITORY
    began = time.monotonic()
    images = images_for(ctx.upstream_host, ctx.sweep_upstream)
    ctx.sweep_tag_ids = seed_scheduled(
        project_name="sweep", host=ctx.upstream_host, tags=ctx.sweep_upstream, images=images
    )
    ctx.scale_projects = ["sweep"] + [f"scale{copy}" for copy in range(1, sizes.scale_copies)]
    for name in ctx.scale_projects[1:]:
        seed_scheduled(
            project_name=name,
            host=ctx.upstream_host,
            tags=ctx.sweep_upstream,
            images=images,
        )
    ctx.scheduled_total = len(ctx.sweep_tag_ids) * sizes.scale_copies
    database_seconds = time.monotonic() - began
    log(f"database: {ctx.scheduled_total} scheduled tags in {database_seconds:.0f} s")
    return {
        "upstream_tags": len(ctx.sweep_upstream) + len(ctx.bulk_upstream),
        "registry_seeded": pushed,
        "registry_seconds": round(registry_seconds, 1),
        "scheduled_tags": ctx.scheduled_total,
        "database_seconds": round(database_seconds, 1),
    }
