"""The counters and histograms behind /metrics, kept in process memory by
prometheus_client, so that no import, batch of checks or delivery attempt
writes a shared row.

Web processes, Celery workers and beat are many processes: with
PROMETHEUS_MULTIPROC_DIR set (before the process starts), each process
writes its numbers to its own file in that directory and /metrics adds up
the files of every process on the machine, dead ones included (see
docs/operations.md, Metrics). Without it (development, tests) /metrics shows
the numbers of the process answering.

Recording never fails the work it describes: errors are logged.
"""

from __future__ import annotations

import logging
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

# `_created` samples mean nothing summed over processes.
disable_created_metrics()

# The families recorded by this process; /metrics reads them from here, or
# from the multiprocess directory when there is one.
RECORDED = CollectorRegistry(auto_describe=True)

IMPORTS = Counter(
    "imagestreams_imports_total",
    "Tag imports (import-image, tagging from a registry, the import loop), by the "
    "registry imported from, the result (Success, Unchanged, Failure) and the cause.",
    ("registry", "result", "cause"),
    registry=RECORDED,
)
SCHEDULED_CHECKS = Counter(
    "imagestreams_scheduled_checks_total",
    "Scheduled checks of tags against their registry, by registry and result "
    "(unchanged, changed, failed, deferred by a rate limit, skipped).",
    ("registry", "result"),
    registry=RECORDED,
)
CHECK_DURATION = Histogram(
    "imagestreams_scheduled_check_duration_seconds",
    "Time one scheduled check of a tag took (registry requests included), by registry.",
    ("registry",),
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=RECORDED,
)
DELIVERY_ATTEMPTS = Counter(
    "imagestreams_delivery_attempts_total",
    "Attempts to send trigger deliveries, by outcome (success, retry, failure).",
    ("outcome",),
    registry=RECORDED,
)
DELIVERIES = Counter(
    "imagestreams_deliveries_total",
    "Trigger deliveries that finished, by result (succeeded, failed).",
    ("result",),
    registry=RECORDED,
)
DELIVERY_LATENCY = Histogram(
    "imagestreams_delivery_latency_seconds",
    "Time from a tag's change to its delivery being accepted by the receiver (retries included).",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
    registry=RECORDED,
)


def multiprocess_directory() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def recorded_families():
    """The counters and histograms of every process of this machine (or of
    this process alone without a multiprocess directory)."""
    directory = multiprocess_directory()
    if not directory:
        yield from RECORDED.collect()
        return
    merged = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(merged, path=directory)
    yield from merged.collect()


class Batch:
    """Observations of one piece of work, recorded together with `save()`."""

    def __init__(self) -> None:
        self._counts: list[tuple[Counter, float, dict[str, str]]] = []
        self._observations: list[tuple[Histogram, float, dict[str, str]]] = []

    def count(self, family: Counter, amount: float = 1.0, **labels: str) -> None:
        self._counts.append((family, amount, labels))

    def observe(self, family: Histogram, seconds: float, **labels: str) -> None:
        self._observations.append((family, seconds, labels))

    def save(self) -> None:
        try:
            for counter, amount, labels in self._counts:
                _child(counter, labels).inc(amount)
            for histogram, seconds, labels in self._observations:
                _child(histogram, labels).observe(seconds)
        except Exception:  # an unwritable multiprocess directory must not fail the work
            logger.warning("metrics were not recorded", exc_info=True)
        self._counts, self._observations = [], []


def _child(family, labels: dict[str, str]):
    return family.labels(**{k: str(v) for k, v in labels.items()}) if labels else family
