from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestreams.settings")

app = Celery("imagestreams")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """What Django does around each request, around each task: close a
    connection that is broken or older than CONN_MAX_AGE, keep the others.
    Celery would close every connection around every task (settings:
    CELERY_DB_REUSE_MAX), a new PostgreSQL session per task: 41 sessions for a
    sweep of 2,000 tags, a fifth of the CPU of reading a batch's tags."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # a test's transaction, or the caller's
    from django.db import close_old_connections

    close_old_connections()
