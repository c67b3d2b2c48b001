"""Gauges of the triggers app on /metrics (registered with the core's
collector in TriggersConfig.ready), read from the deliveries table."""

from __future__ import annotations

from django.db.models import Count, Min

from imagestreams.operations.collector import gauge
from triggers.models import WAITING_STATUSES, Delivery, DeliveryStatus


def delivery_gauges(now):
    unfinished = (*WAITING_STATUSES, DeliveryStatus.SENDING)
    counts = dict(
        Delivery.objects.filter(status__in=unfinished)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    waiting = gauge(
        "imagestreams_deliveries_unfinished",
        "Trigger deliveries not finished yet, by status (pending, retrying, sending).",
        ["status"],
    )
    for status in unfinished:
        waiting.add_metric([status], counts.get(status, 0))
    oldest = Delivery.objects.filter(
        status__in=WAITING_STATUSES, next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    lag = gauge(
        "imagestreams_delivery_queue_lag_seconds",
        "How long the oldest due delivery has been waiting to be sent.",
    )
    lag.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
    yield from (waiting, lag)
