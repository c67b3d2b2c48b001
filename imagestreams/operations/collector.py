"""/metrics in Prometheus' text format, computed from the database at scrape
time, so that any web process answers for the whole deployment:

- the counters and histograms services record (operations.metrics);
- gauges read from the work tables with a few aggregate queries on indexed
  columns: scheduled tags due and overdue and how late the oldest due check
  is, imports waiting, deliveries and registry events waiting and the age of
  the oldest one;
- the length of the broker's queue, when the broker can tell.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import choose_encoder

from imagestreams.models import MetricCounter, Tag
from imagestreams.operations.metrics import FAMILIES, Family
from imagestreams.scheduling.claims import SCHEDULED_IMPORTABLE

logger = logging.getLogger(__name__)

# A due tag not claimed for this long means beat or the workers fall behind.
OVERDUE_AFTER = timedelta(seconds=60)


def metrics_text(accept: str = "") -> tuple[bytes, str]:
    """The exposition in the format the scraper asks for, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


class DatabaseCollector:
    def collect(self):
        yield from recorded_families()
        now = timezone.now()
        yield from scheduled_gauges(now)
        yield from import_gauges()
        yield from delivery_gauges(now)
        yield from registry_event_gauges(now)
        yield from broker_gauges()


# --- recorded counters and histograms ---------------------------------------------


def recorded_families():
    rows = defaultdict(list)
    for name, labels, value in MetricCounter.objects.values_list("name", "labels", "value"):
        rows[name].append((labels, value))
    for family in FAMILIES.values():
        if family.kind == "counter":
            yield _counter(family, rows.get(family.name, []))
        else:
            yield _histogram(family, rows)


def _counter(family: Family, series) -> CounterMetricFamily:
    metric = CounterMetricFamily(family.name, family.documentation, labels=family.labels)
    for labels, value in sorted(series, key=lambda item: sorted(item[0].items())):
        metric.add_metric([labels.get(name, "") for name in family.labels], value)
    return metric


def _histogram(family: Family, rows) -> HistogramMetricFamily:
    metric = HistogramMetricFamily(family.name, family.documentation, labels=family.labels)
    buckets: dict[tuple, dict[str, float]] = defaultdict(dict)
    sums: dict[tuple, float] = {}
    for labels, value in rows.get(f"{family.name}_bucket", []):
        key = tuple(labels.get(name, "") for name in family.labels)
        buckets[key][labels.get("le", "+Inf")] = value
    for labels, value in rows.get(f"{family.name}_sum", []):
        sums[tuple(labels.get(name, "") for name in family.labels)] = value
    bounds = [repr(float(bound)) for bound in family.buckets] + ["+Inf"]
    for key in sorted(buckets):
        cumulative, points = 0.0, []
        for bound in bounds:
            cumulative += buckets[key].get(bound, 0.0)
            points.append((bound, cumulative))
        metric.add_metric(list(key), points, sum_value=sums.get(key, 0.0))
    return metric


# --- gauges from the work tables ---------------------------------------------------


def _gauge(name: str, documentation: str, labels=()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def scheduled_gauges(now):
    overdue_before = now - OVERDUE_AFTER
    due = Q(next_check_at__lte=now)
    per_registry = (
        Tag.objects.filter(SCHEDULED_IMPORTABLE, next_check_at__isnull=False)
        .values("source_registry")
        .annotate(
            total=Count("pk"),
            due=Count("pk", filter=due),
            overdue=Count("pk", filter=Q(next_check_at__lte=overdue_before)),
            oldest_due=Min("next_check_at", filter=due),
        )
        .order_by("source_registry")
    )
    tags = _gauge("imagestreams_scheduled_tags", "Scheduled tags, by registry.", ["registry"])
    due_tags = _gauge(
        "imagestreams_scheduled_tags_due",
        "Scheduled tags whose next check is due now, by registry.",
        ["registry"],
    )
    overdue_tags = _gauge(
        "imagestreams_scheduled_tags_overdue",
        f"Scheduled tags due for more than {OVERDUE_AFTER.seconds} seconds and not yet "
        "handed to a worker (beat or the workers fall behind, or a registry's limits hold "
        "them back), by registry.",
        ["registry"],
    )
    lag = _gauge(
        "imagestreams_scheduled_check_lag_seconds",
        "How long the oldest due scheduled check has been waiting, by registry.",
        ["registry"],
    )
    for row in per_registry:
        registry = row["source_registry"]
        tags.add_metric([registry], row["total"])
        due_tags.add_metric([registry], row["due"])
        overdue_tags.add_metric([registry], row["overdue"])
        waited = (now - row["oldest_due"]).total_seconds() if row["oldest_due"] else 0.0
        lag.add_metric([registry], max(waited, 0.0))
    yield from (tags, due_tags, overdue_tags, lag)


def import_gauges():
    from imagestreams.tasks import pending_import_tags

    pending = _gauge(
        "imagestreams_imports_pending",
        "Tags whose spec asks for an import that has not happened yet.",
    )
    pending.add_metric([], pending_import_tags().count())
    yield pending


def delivery_gauges(now):
    from triggers.models import WAITING_STATUSES, Delivery, DeliveryStatus

    unfinished = (*WAITING_STATUSES, DeliveryStatus.SENDING)
    counts = dict(
        Delivery.objects.filter(status__in=unfinished)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    waiting = _gauge(
        "imagestreams_deliveries_unfinished",
        "Trigger deliveries not finished yet, by status (pending, retrying, sending).",
        ["status"],
    )
    for status in unfinished:
        waiting.add_metric([status], counts.get(status, 0))
    oldest = Delivery.objects.filter(
        status__in=WAITING_STATUSES, next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    lag = _gauge(
        "imagestreams_delivery_queue_lag_seconds",
        "How long the oldest due delivery has been waiting to be sent.",
    )
    lag.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
    yield from (waiting, lag)


def registry_event_gauges(now):
    from triggers.models import RegistryEvent, RegistryEventStatus

    waiting = RegistryEvent.objects.filter(
        status__in=[RegistryEventStatus.PENDING, RegistryEventStatus.PROCESSING]
    ).aggregate(n=Count("pk"), oldest=Min("received"))
    count = _gauge(
        "imagestreams_registry_events_waiting",
        "Pushes to the integrated registry received but not applied yet.",
    )
    count.add_metric([], waiting["n"])
    lag = _gauge(
        "imagestreams_registry_event_lag_seconds",
        "How long the oldest push waiting to be applied has waited.",
    )
    lag.add_metric([], (now - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0.0)
    yield from (count, lag)


def broker_gauges():
    """Messages waiting in the default queue (work no worker has taken yet)."""
    from imagestreams.celery import app

    queue = app.conf.task_default_queue or "celery"
    try:
        with app.connection_for_read(connect_timeout=2) as broker:
            declared = broker.default_channel.queue_declare(queue=queue, passive=True)
            messages = declared.message_count
    except Exception:  # a broker that cannot say is not an error of /metrics
        logger.debug("broker queue length unavailable", exc_info=True)
        return
    gauge = _gauge(
        "imagestreams_broker_queue_messages", "Tasks waiting in the broker queue.", ["queue"]
    )
    gauge.add_metric([queue], messages)
    yield gauge
