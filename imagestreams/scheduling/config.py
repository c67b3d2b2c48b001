"""Settings of scheduled imports, from the environment, read at call time
(tests change them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ScheduleConfig:
    interval: float
    sweep_seconds: float
    batch_size: int
    backoff_max: float
    max_concurrency: int
    requests_per_second: float
    policy_max_tags: int

    @property
    def checks_per_sweep(self) -> int:
        """How many checks of one registry a sweep may hand out: the
        per-registry request rate over one sweep period (an unchanged check is
        one request), so all workers together stay near that rate."""
        return max(1, int(self.requests_per_second * self.sweep_seconds))


def schedule_config() -> ScheduleConfig:
    return ScheduleConfig(
        # The interval is never shorter than the minimum.
        interval=max(settings.SCHEDULED_INTERVAL, settings.SCHEDULED_MINIMUM_INTERVAL),
        sweep_seconds=max(settings.SCHEDULED_SWEEP_SECONDS, 0.1),
        batch_size=max(settings.SCHEDULED_BATCH_SIZE, 1),
        backoff_max=settings.SCHEDULED_BACKOFF_MAX,
        max_concurrency=max(settings.REGISTRY_MAX_CONCURRENCY, 1),
        requests_per_second=max(settings.REGISTRY_REQUESTS_PER_SECOND, 0.01),
        policy_max_tags=max(settings.POLICY_MAX_TAGS, 1),
    )
