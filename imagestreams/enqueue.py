"""Queueing Celery tasks after the transaction that recorded their work commits.

The database row is the request; the queued task only says "look now". So a
broker outage is logged, never raised into the request that committed: the
periodic loops (pending imports, delivery sweep, registry events) find the row
and queue it again.
"""

from __future__ import annotations

from django.db import transaction


def enqueue_on_commit(task, *args, countdown: float | None = None) -> None:
    # A function, not a functools.partial: Django names it when it logs a failure.
    def send() -> None:
        task.apply_async(args, countdown=countdown or None)

    send.__qualname__ = f"enqueue {task.name}{args!r}"
    transaction.on_commit(send, robust=True)
