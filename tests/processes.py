"""What tests that run real Celery worker and beat processes share: the test
database as a URL the processes can use, the services they need, and
waiting on what the processes do (never on the clock)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from tests.registry_lab.fixtures import require_tool
from tests.registry_lab.net import PATIENCE, wait_until

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
# The periodic tasks beat hands out: what would redo work late, if anything did.
SWEEPS = (
    "imagestreams.tasks.scheduled_sweep",
    "imagestreams.tasks.imports_reconcile_pending",
    "triggers.tasks.triggers_sweep_task",
)


def database_url() -> str:
    """The test database, for processes started by the test."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def require_postgres_and_redis(why: str) -> None:
    """Skip on SQLite (processes cannot share its test database); fail or skip
    (like the registry fixtures) when Redis does not answer."""
    if connection.vendor != "postgresql":
        pytest.skip(why)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        require_tool(None, f"redis-server (nothing answers at {REDIS_URL})")


def log_tails(logs: Iterable[Path]) -> str:
    return "\n".join(
        f"--- {path.name}\n{path.read_text()[-3000:]}" for path in logs if path.exists()
    )


def wait_for(check: Callable, what: str, logs: Iterable[Path] = (), timeout: float = PATIENCE):
    """Poll `check` until it returns something true (returned); fail with the
    processes' log tails after `timeout` seconds."""
    value = wait_until(check, timeout=timeout, interval=0.2)
    if not value:
        pytest.fail(f"timed out after {timeout:g} s waiting for {what}\n{log_tails(logs)}")
    return value


def tasks_succeeded(logs: Iterable[Path], task: str) -> int:
    """How many runs of `task` the workers logged as succeeded (plain or JSON logs)."""
    line = re.compile(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded")
    return sum(len(line.findall(path.read_text())) for path in logs if path.exists())


def wait_for_more_runs(logs: list[Path], tasks: Iterable[str] = SWEEPS, more: int = 4) -> None:
    """Wait until each task has succeeded `more` more times. More than the
    workers can have had in flight: at least one run began after this call."""
    before = {task: tasks_succeeded(logs, task) for task in tasks}
    for task, count in before.items():
        wait_for(
            lambda task=task, count=count: tasks_succeeded(logs, task) >= count + more,
            f"{more} more runs of {task}",
            logs,
        )


def wait_for_checks(tags: list, logs: Iterable[Path] = (), rounds: int = 2) -> None:
    """Wait until every tag's scheduled check ran `rounds` more times (each
    check, changed or not, moves its last_checked_at)."""
    from imagestreams.models import Tag

    ids = [tag.pk for tag in tags]

    def checked() -> dict:
        return dict(Tag.objects.filter(pk__in=ids).values_list("pk", "last_checked_at"))

    for round_ in range(rounds):
        marks = checked()
        wait_for(
            lambda marks=marks: all(
                at is not None and (marks[pk] is None or at > marks[pk])
                for pk, at in checked().items()
            ),
            f"check {round_ + 1} of {rounds} more of every scheduled tag",
            logs,
        )
