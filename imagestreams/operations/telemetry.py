"""What services report when an import, a batch of scheduled checks or a
delivery attempt is done: one structured log line per tag (project, stream
and tag as fields) and the counters behind /metrics.

Called after the work's transaction has committed; never raises.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from imagestreams.models.streams import ImportStatus
from imagestreams.operations import metrics
from imagestreams.operations.logs import tag_fields

if TYPE_CHECKING:
    from imagestreams.services.imports import TagImportStatus

logger = logging.getLogger("imagestreams.operations")


def imports_finished(
    stream, results: Iterable[tuple[TagImportStatus, object, str]], *, cause: str
) -> None:
    """`results`: (TagImportStatus, source pull spec, registry host) per tag
    of one stream."""
    batch = metrics.Batch()
    for status, source, registry in results:
        fields = tag_fields(stream.project.name, stream.name, status.tag, registry=registry)
        if status.failed:
            logger.warning(
                "import of %s:%s from %s failed: %s",
                stream.name,
                status.tag,
                source,
                status.message,
                extra=fields,
            )
        else:
            detail = status.digest if status.status == ImportStatus.SUCCESS else "unchanged"
            logger.info(
                "import of %s:%s from %s: %s", stream.name, status.tag, source, detail, extra=fields
            )
        batch.count(metrics.IMPORTS, registry=registry, result=status.status, cause=cause)
    batch.save()


def checks_finished(registry: str, outcomes: list, statuses: dict[int, str], report) -> None:
    """One batch of scheduled checks of `registry` (scheduling.checks)."""
    batch = metrics.Batch()
    results = Counter(
        unchanged=report.unchanged,
        changed=report.changed,
        failed=report.failed,
        deferred=report.deferred,
        skipped=report.skipped,
    )
    for result, amount in results.items():
        if amount:
            batch.count(metrics.SCHEDULED_CHECKS, amount, registry=registry, result=result)
    for outcome in outcomes:
        if not outcome.deferred:
            batch.observe(metrics.CHECK_DURATION, outcome.seconds, registry=registry)
        status = statuses.get(outcome.item.tag.pk)
        if status in (ImportStatus.SUCCESS, ImportStatus.FAILURE):
            tag = outcome.item.tag
            fields = tag_fields(tag.stream.project.name, tag.stream.name, tag.name)
            level = logging.INFO if status == ImportStatus.SUCCESS else logging.WARNING
            logger.log(
                level,
                "scheduled check of %s:%s (%s): %s",
                tag.stream.name,
                tag.name,
                tag.from_name,
                "changed" if status == ImportStatus.SUCCESS else "failed",
                extra={**fields, "registry": registry},
            )
    batch.save()


def delivery_attempted(delivery, outcome: str, status: str, *, now: datetime, error: str) -> None:
    """One attempt of a trigger delivery was recorded (triggers.services)."""
    if delivery.kind != "change":
        return  # tests sends are not deliveries of changes
    change = delivery.change
    fields = tag_fields(
        change.project_name,
        change.stream_name,
        change.tag_name,
        trigger=delivery.trigger.name,
        delivery=str(delivery.uuid),
    )
    level = logging.WARNING if outcome == "failure" else logging.INFO
    logger.log(
        level,
        "delivery %s of trigger %s: %s (%s)%s",
        delivery.uuid,
        delivery.trigger,
        outcome,
        status,
        f": {error}" if error else "",
        extra=fields,
    )
    batch = metrics.Batch()
    batch.count(metrics.DELIVERY_ATTEMPTS, outcome=outcome)
    if status in ("succeeded", "failed"):
        batch.count(metrics.DELIVERIES, result=status)
    if status == "succeeded":
        batch.observe(metrics.DELIVERY_LATENCY, (now - change.created).total_seconds())
    batch.save()
