"""What beat runs every few seconds: enrol, release, claim, hand out batches."""

from __future__ import annotations

import math
from datetime import datetime

from django.utils import timezone

from imagestreams.scheduling.claims import (
    Claim,
    claim_due,
    due_registries,
    enrol,
    release_unscheduled,
)
from imagestreams.scheduling.config import ScheduleConfig, schedule_config

# Enrolling is cheap, but bound one sweep's work all the same.
ENROL_PER_SWEEP = 5000
# Tags claimed by one statement, then cut into batches: a claim per batch made
# the sweep task a fifth of a busy worker's CPU (bench: worker CPU per check).
CLAIM_CHUNK = 1000


# A registry's claimed tags are cut into at least this many batches, so that
# every worker process gets its share of a small sweep: 1,000 tags in five
# batches of 200 left one of two processes checking the fifth alone ...
SPREAD_BATCHES = 8
# ... but never into batches smaller than this for that alone: a batch costs
# its worker a fixed few milliseconds (load, credentials, write), which 200
# tags share better than 50 (bench: worker CPU per check by batch size).
SPREAD_MIN_BATCH = 50


def sweep(*, now: datetime | None = None) -> list[Claim]:
    """Claim the due scheduled tags, at most ``checks_per_sweep`` per registry,
    in batches of at most ``batch_size`` (one registry per batch)."""
    config = schedule_config()
    now = now or timezone.now()
    release_unscheduled()
    enrol(now=now, interval=config.interval, limit=ENROL_PER_SWEEP)
    batches: list[Claim] = []
    for registry in due_registries(now):
        claims = _claim_registry(registry, now, config)
        size = batch_size_for(sum(len(claim.tag_ids) for claim in claims), config.batch_size)
        for claim in claims:
            batches.extend(claim.batches(size))
    return batches


def batch_size_for(claimed: int, largest: int) -> int:
    """How many tags go into one batch when ``claimed`` tags of a registry are
    due: ``largest``, or fewer so that there are ``SPREAD_BATCHES`` batches."""
    return min(largest, max(SPREAD_MIN_BATCH, math.ceil(claimed / SPREAD_BATCHES)))


def _claim_registry(registry: str, now: datetime, config: ScheduleConfig) -> list[Claim]:
    claims: list[Claim] = []
    remaining = config.checks_per_sweep
    while remaining > 0:
        claim = claim_due(
            registry, now=now, limit=min(CLAIM_CHUNK, remaining), interval=config.interval
        )
        if not claim.tag_ids:
            break
        claims.append(claim)
        remaining -= len(claim.tag_ids)
    return claims
