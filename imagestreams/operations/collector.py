"""/metrics in Prometheus' text format, computed at scrape time:

- the counters and histograms services record, added up over the processes
  of this machine (operations.metrics);
- gauges read from the work tables with a few aggregate queries on indexed
  columns: scheduled tags due and overdue and how late the oldest due check
  is, imports waiting, registry events waiting and the age of the oldest one,
  and the gauges other apps register (the triggers app: deliveries), the
  same whichever web process answers;
- the length of the broker's queue, when the broker can tell.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from imagestreams.models import RegistryEvent, Tag
from imagestreams.models.pushes import RegistryEventStatus
from imagestreams.operations.metrics import recorded_families
from imagestreams.scheduling.claims import SCHEDULED_IMPORTABLE

logger = logging.getLogger(__name__)

# A due tag not claimed for this long means beat or the workers fall behind.
OVERDUE_AFTER = timedelta(seconds=60)


def metrics_text(accept: str = "") -> tuple[bytes, str]:
    """The exposition in the format the scraper asks for, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector())
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


# Gauges of apps built on the core (the triggers app's deliveries), which
# register them in their AppConfig.ready: the core does not know them.
_gauge_sources: list[Callable[[datetime], Iterable[Metric]]] = []


def register_gauges(source: Callable[[datetime], Iterable[Metric]]) -> None:
    """Add `source(now)`, yielding metric families, to every scrape."""
    if source not in _gauge_sources:
        _gauge_sources.append(source)


class ScrapeCollector:
    def collect(self):
        yield from recorded_families()
        now = timezone.now()
        yield from scheduled_gauges(now)
        yield from import_gauges()
        yield from registry_event_gauges(now)
        for source in _gauge_sources:
            yield from source(now)
        yield from broker_gauges()


# --- gauges from the work tables ---------------------------------------------------


def gauge(name: str, documentation: str, labels=()) -> GaugeMetricFamily:
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
    tags = gauge("imagestreams_scheduled_tags", "Scheduled tags, by registry.", ["registry"])
    due_tags = gauge(
        "imagestreams_scheduled_tags_due",
        "Scheduled tags whose next check is due now, by registry.",
        ["registry"],
    )
    overdue_tags = gauge(
        "imagestreams_scheduled_tags_overdue",
        f"Scheduled tags due for more than {OVERDUE_AFTER.seconds} seconds and not yet "
        "handed to a worker (beat or the workers fall behind, or a registry's limits hold "
        "them back), by registry.",
        ["registry"],
    )
    lag = gauge(
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

    pending = gauge(
        "imagestreams_imports_pending",
        "Tags whose spec asks for an import that has not happened yet.",
    )
    pending.add_metric([], pending_import_tags().count())
    yield pending


def registry_event_gauges(now):
    waiting = RegistryEvent.objects.filter(
        status__in=[RegistryEventStatus.PENDING, RegistryEventStatus.PROCESSING]
    ).aggregate(n=Count("pk"), oldest=Min("received"))
    count = gauge(
        "imagestreams_registry_events_waiting",
        "Pushes to the integrated registry received but not applied yet.",
    )
    count.add_metric([], waiting["n"])
    lag = gauge(
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
    queued = gauge(
        "imagestreams_broker_queue_messages", "Tasks waiting in the broker queue.", ["queue"]
    )
    queued.add_metric([queue], messages)
    yield queued
