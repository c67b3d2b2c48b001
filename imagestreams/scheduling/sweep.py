"""What beat runs every few seconds: enrol, release, claim, hand out batches."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from imagestreams.scheduling.claims import (
    Claim,
    claim_due,
    due_registries,
    enrol,
    release_unscheduled,
)
from imagestreams.scheduling.config import schedule_config

# Enrolling is cheap, but bound one sweep's work all the same.
ENROL_PER_SWEEP = 5000
# Tags claimed by one statement, then cut into batches: a claim per batch made
# the sweep task a fifth of a busy worker's CPU (bench: worker CPU per check).
CLAIM_CHUNK = 1000


def sweep(*, now: datetime | None = None) -> list[Claim]:
    """Claim the due scheduled tags, at most ``checks_per_sweep`` per registry,
    in batches of at most ``batch_size`` (one registry per batch)."""
    config = schedule_config()
    now = now or timezone.now()
    release_unscheduled()
    enrol(now=now, interval=config.interval, limit=ENROL_PER_SWEEP)
    batches: list[Claim] = []
    for registry in due_registries(now):
        remaining = config.checks_per_sweep
        while remaining > 0:
            claim = claim_due(
                registry,
                now=now,
                limit=min(CLAIM_CHUNK, remaining),
                interval=config.interval,
            )
            if not claim.tag_ids:
                break
            batches.extend(claim.batches(config.batch_size))
            remaining -= len(claim.tag_ids)
    return batches
