"""Base classes for Celery tasks, for a database that does not answer for a
while (PostgreSQL restarting, SQLite locked past its busy timeout).

Work a task was given (an import, a delivery, a batch of checks) is retried
with exponential backoff instead of failing and waiting for a sweep; a
periodic sweep is skipped instead, as its next run does the same work:

    @shared_task(base=RetryOnDatabaseErrors)
    def tag_import_task(tag_id): ...

    @shared_task(base=SkipOnDatabaseErrors)
    def imports_reconcile_pending(): ...

Both derive from Celery's DjangoTask, the class tasks have by default here
(it adds `delay_on_commit`).
"""

from __future__ import annotations

import logging

from celery.contrib.django.task import DjangoTask

from imagestreams.unavailable import DATABASE_ERRORS

logger = logging.getLogger(__name__)


class RetryOnDatabaseErrors(DjangoTask):
    """Retried after 0-2, 0-4, 0-8 … s (jittered, at most 5 minutes apart):
    twelve retries span about half an hour before the task gives up, and
    its row is left for the sweeps to find."""

    autoretry_for = DATABASE_ERRORS
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 12


class SkipOnDatabaseErrors(DjangoTask):
    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            logger.warning(
                "%s skipped, the database is unavailable (%s); its next run catches up",
                self.name,
                exc,
            )
            return None
