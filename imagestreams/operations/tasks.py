"""Celery tasks of the operations layer (loaded through CELERY_IMPORTS)."""

from __future__ import annotations

import logging

from celery import shared_task

from imagestreams.taskbase import RetryOnDatabaseErrors

logger = logging.getLogger(__name__)


@shared_task(base=RetryOnDatabaseErrors)
def prune_images_task() -> str:
    """Beat, on IMAGESTREAMS_PRUNE_SCHEDULE: `prune_images --confirm` with the
    configured keep rules. Safe to run twice: a second run finds nothing more."""
    from django.conf import settings

    from imagestreams.access import acting_system
    from imagestreams.operations.pruning import PruneOptions, images_prune, parse_duration

    options = PruneOptions(
        keep_tag_revisions=settings.PRUNE_KEEP_TAG_REVISIONS,
        keep_younger_than=parse_duration(settings.PRUNE_KEEP_YOUNGER_THAN),
        confirm=True,
    )
    report = images_prune(options, by=acting_system())
    for error in report.errors:
        logger.warning("pruning: %s", error)
    logger.info("pruning: %s", report.summary)
    return report.summary
