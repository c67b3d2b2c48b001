"""Counters and histograms kept in the database (MetricCounter).

Web processes, Celery workers and beat run as many processes on many
machines; counters in process memory would each hold a share of the truth.
So every count is added to one database row per metric and label set, with a
single UPDATE per batch of observations, after the work's own transaction.
Histogram buckets are stored per bucket (not cumulative) so that an
observation touches one row; /metrics adds them up.

Recording never fails the work it describes: database errors are logged.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.models import Case, F, FloatField, Value, When
from django.utils import timezone

from imagestreams.models import MetricCounter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # "counter" or "histogram"
    documentation: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


IMPORTS = Family(
    "imagestreams_imports_total",
    "counter",
    "Tag imports (import-image, tagging from a registry, the import loop), by the "
    "registry imported from, the result (Success, Unchanged, Failure) and the cause.",
    ("registry", "result", "cause"),
)
SCHEDULED_CHECKS = Family(
    "imagestreams_scheduled_checks_total",
    "counter",
    "Scheduled checks of tags against their registry, by registry and result "
    "(unchanged, changed, failed, deferred by a rate limit, skipped).",
    ("registry", "result"),
)
CHECK_DURATION = Family(
    "imagestreams_scheduled_check_duration_seconds",
    "histogram",
    "Time one scheduled check of a tag took (registry requests included), by registry.",
    ("registry",),
    (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DELIVERY_ATTEMPTS = Family(
    "imagestreams_delivery_attempts_total",
    "counter",
    "Attempts to send trigger deliveries, by outcome (success, retry, failure).",
    ("outcome",),
)
DELIVERIES = Family(
    "imagestreams_deliveries_total",
    "counter",
    "Trigger deliveries that finished, by result (succeeded, failed).",
    ("result",),
)
DELIVERY_LATENCY = Family(
    "imagestreams_delivery_latency_seconds",
    "histogram",
    "Time from a tag's change to its delivery being accepted by the receiver (retries included).",
    (),
    (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
)
FAMILIES = {
    family.name: family
    for family in (
        IMPORTS,
        SCHEDULED_CHECKS,
        CHECK_DURATION,
        DELIVERY_ATTEMPTS,
        DELIVERIES,
        DELIVERY_LATENCY,
    )
}


def series_key(name: str, labels: Mapping[str, str]) -> str:
    """Prometheus' text form, also the row's unique key."""
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


class Batch:
    """Observations collected in memory, then written with `save()`."""

    def __init__(self) -> None:
        self._amounts: dict[str, tuple[str, dict[str, str], float]] = {}

    def count(self, family: Family, amount: float = 1.0, **labels: str) -> None:
        self._add(family.name, labels, amount)

    def observe(self, family: Family, seconds: float, **labels: str) -> None:
        index = bisect.bisect_left(family.buckets, seconds)
        le = _bucket_label(family.buckets[index]) if index < len(family.buckets) else "+Inf"
        self._add(f"{family.name}_bucket", {**labels, "le": le}, 1.0)
        self._add(f"{family.name}_sum", labels, seconds)
        self._add(f"{family.name}_count", labels, 1.0)

    def _add(self, name: str, labels: dict[str, str], amount: float) -> None:
        key = series_key(name, labels)
        previous = self._amounts.get(key, (name, labels, 0.0))[2]
        self._amounts[key] = (name, labels, previous + amount)

    def save(self) -> None:
        if not self._amounts:
            return
        try:
            with transaction.atomic():
                _increment(self._amounts)
        except DatabaseError:
            logger.warning("metrics were not recorded", exc_info=True)
        self._amounts = {}


def _bucket_label(bound: float) -> str:
    return repr(float(bound))


def _increment(amounts: dict[str, tuple[str, dict[str, str], float]]) -> None:
    keys = sorted(amounts)
    updated = _add_to_existing(keys, amounts)
    if updated == len(keys):
        return
    existing = set(MetricCounter.objects.filter(key__in=keys).values_list("key", flat=True))
    missing = [key for key in keys if key not in existing]
    # Created at zero, then added to like the others: two processes creating
    # the same series at once both count.
    MetricCounter.objects.bulk_create(
        [
            MetricCounter(key=key, name=amounts[key][0], labels=amounts[key][1], value=0.0)
            for key in missing
        ],
        ignore_conflicts=True,
    )
    _add_to_existing(missing, amounts)


def _add_to_existing(keys: Iterable[str], amounts) -> int:
    keys = list(keys)
    increment = Case(
        *[When(key=key, then=Value(amounts[key][2])) for key in keys],
        default=Value(0.0),
        output_field=FloatField(),
    )
    return MetricCounter.objects.filter(key__in=keys).update(
        value=F("value") + increment, updated=timezone.now()
    )
