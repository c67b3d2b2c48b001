"""How big each benchmark is: the full run (the report's figures) and the
smoke run (the same code paths on tiny data, for CI)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """A concurrency level of the sweep: worker processes x requests in
    flight per process (IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY)."""

    processes: int
    threads: int

    @property
    def concurrency(self) -> int:
        return self.processes * self.threads


# Two worker processes (one per core) with the default 4 requests in flight each.
DEFAULT_LEVEL = Level(2, 4)


@dataclass(frozen=True)
class Sizes:
    name: str
    runs: int  # repeated measurements: medians with min and max
    # 1. scheduled sweeps
    sweep_repositories: int
    sweep_tags_per_repository: int
    small_sweep: int
    levels: tuple[Level, ...]
    ab_seconds: float  # 0: a fixed number of requests (tools.ab)
    skopeo_sample: int
    tuned_batch_size: int  # the large sweep again with this IMAGESTREAMS_SCHEDULED_BATCH_SIZE
    # The workers of variants boot beside the running one and are swapped in
    # (Lab.boot_standby_worker): no worker restart to wait for. The sweep's two
    # variants (that batch size, checks in threads only) share one worker.
    standby_workers: bool
    scale_copies: int  # projects following the same upstream tags (100,000 tags)
    scale_seconds: float
    # 2. change-to-trigger latency
    latency_changes: int
    latency_warmup: int
    slow_polling_changes: int  # the filesystem broker at kombu's 1 s polling (0: not measured)
    idle_seconds: float  # the idle worker's CPU use on the filesystem broker
    # 3. API
    api_seconds: float
    api_levels: tuple[int, ...]
    api_level_seconds: float
    gunicorn_configs: tuple[str, ...]  # which of b3_api.GUNICORN_CONFIGS are compared (): all
    # 4. UI
    ui_tags: int
    ui_history: int
    ui_runs: int
    # 5. bulk import
    bulk_tags: int
    skopeo_bulk_runs: int
    # gunicorn workers of the web (the API and bulk figures come from it)
    web_workers: int
    # py-spy recordings end with their workload (else they last the expected
    # length, at least 1 s)
    short_profiles: bool

    @property
    def sweep_tags(self) -> int:
        return self.sweep_repositories * self.sweep_tags_per_repository


FULL = Sizes(
    name="full",
    runs=3,
    sweep_repositories=10,
    sweep_tags_per_repository=1000,
    small_sweep=1000,
    levels=(Level(1, 1), Level(2, 1), Level(2, 2), DEFAULT_LEVEL, Level(2, 8)),
    ab_seconds=5,
    skopeo_sample=50,
    tuned_batch_size=50,  # the default until round 4 (200 now)
    standby_workers=False,
    scale_copies=10,
    scale_seconds=150,
    latency_changes=200,
    latency_warmup=5,
    slow_polling_changes=30,  # each change takes about 2 s
    idle_seconds=10,
    api_seconds=6,
    api_levels=(1, 4, 16, 32, 64),
    api_level_seconds=3,
    gunicorn_configs=(),
    ui_tags=500,
    ui_history=20,
    ui_runs=15,
    bulk_tags=1000,
    skopeo_bulk_runs=1,
    web_workers=4,  # as in the README's production example
    short_profiles=False,
)

# The smallest sizes that still take every code path: several repositories,
# a small sweep inside the large one with a tag for each of the 8 threads the
# HTTP clients compared use, more than one batch in the tuned sweep,
# more than one sweep in the scale run, three changes per latency path.
SMOKE = Sizes(
    name="smoke",
    runs=1,
    sweep_repositories=2,
    sweep_tags_per_repository=5,
    small_sweep=8,
    levels=(DEFAULT_LEVEL,),
    ab_seconds=0,
    skopeo_sample=2,
    tuned_batch_size=5,
    standby_workers=True,
    scale_copies=2,
    scale_seconds=2,
    latency_changes=3,
    latency_warmup=1,
    slow_polling_changes=0,  # the same code path as the 0.1 s polling, 2 s a change
    idle_seconds=0.2,
    api_seconds=0,
    api_levels=(32,),
    api_level_seconds=0,
    # The setting the lab's web runs already (web_workers): compared without a restart.
    gunicorn_configs=("sync, 2 processes",),
    ui_tags=3,
    ui_history=2,
    ui_runs=1,
    bulk_tags=3,
    skopeo_bulk_runs=1,
    web_workers=2,  # still several: requests spread over workers; fewer to boot
    short_profiles=True,
)
