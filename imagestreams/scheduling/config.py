"""Operator settings of scheduled imports, read at call time (tests override
them); interval and registry limits may be changed at run time (policy)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from imagestreams import policy


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
        interval=policy.scheduled_interval(),
        sweep_seconds=max(settings.SCHEDULED_SWEEP_SECONDS, 0.1),
        batch_size=max(settings.SCHEDULED_BATCH_SIZE, 1),
        backoff_max=settings.SCHEDULED_BACKOFF_MAX,
        max_concurrency=max(policy.registry_max_concurrency(), 1),
        requests_per_second=max(policy.registry_requests_per_second(), 0.01),
        policy_max_tags=max(settings.POLICY_MAX_TAGS, 1),
    )
