"""The bench app: in worker processes, one JSON line per Celery task with the
SQL statements it ran, its duration and the process's memory.

Instrumentation only (the product has no business logic here): it is
installed by bench/settings.py and nowhere else.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import AppConfig


class QueryCounter:
    """A Django execute wrapper counting the statements of the current task."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """SQL statements run by this thread's connection inside the block."""
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


class TaskProbe:
    def __init__(self, path: str) -> None:
        self.path = path
        self.running: dict[str, tuple[float, QueryCounter]] = {}

    def started(self, task_id=None, task=None, **kwargs) -> None:
        from django.db import connection

        counter = QueryCounter()
        connection.execute_wrappers.append(counter)
        self.running[task_id] = (time.time(), counter)

    def finished(self, task_id=None, task=None, args=None, retval=None, **kwargs) -> None:
        from django.db import connection

        started, counter = self.running.pop(task_id, (None, None))
        if counter is None:
            return
        if counter in connection.execute_wrappers:
            connection.execute_wrappers.remove(counter)
        record = {
            "task": task.name if task else "",
            "started": started,
            "finished": time.time(),
            "queries": counter.count,
            "tags": len(args[1]) if task and task.name.endswith("check_batch") and args else 0,
            "result": retval if isinstance(retval, dict | int | str) else None,
            "pid": os.getpid(),
            "rss": _rss_bytes(),
        }
        with open(self.path, "a") as out:
            out.write(json.dumps(record) + "\n")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class BenchConfig(AppConfig):
    name = "bench"
    label = "bench"
    verbose_name = "Benchmarks"

    def ready(self) -> None:
        from celery import signals
        from django.conf import settings

        if not settings.BENCH_PROBE_FILE:
            return
        probe = TaskProbe(settings.BENCH_PROBE_FILE)
        # weak=False: the probe lives as long as the process.
        signals.task_prerun.connect(probe.started, weak=False)
        signals.task_postrun.connect(probe.finished, weak=False)
