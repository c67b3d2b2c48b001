"""The one harness of tests that run real processes: Celery workers and
beat, gunicorn and a private redis-server, all with one settings module
(tests/process_settings.py) on a queue of their own, sharing the test's
PostgreSQL database; readiness and results are waited on as conditions
(never on the clock), and every process is stopped (or SIGKILLed) with its
children. Starting and stopping itself is tests/subprocesses.py."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.registry_lab.fixtures import require_tool
from tests.registry_lab.net import LOOPBACK, PATIENCE, REQUEST_TIMEOUT, free_port, wait_until
from tests.subprocesses import CELERY, answers, kill, spawn, stop, wait_ready

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
SETTINGS = "tests.process_settings"
# The periodic tasks beat hands out: what would redo work late, if anything did.
SWEEPS = (
    "imagestreams.tasks.scheduled_sweep",
    "imagestreams.tasks.imports_reconcile_pending",
    "triggers.tasks.triggers_sweep_task",
)

# Every loop of the product within a second or two, for the fault and load
# tests: a lost task is found again, a failed delivery retried, a tag checked.
FAST_LOOPS = {
    "IMAGESTREAMS_RECONCILE_SECONDS": "1",
    "IMAGESTREAMS_TRIGGERS_SWEEP_SECONDS": "0.5",
    "IMAGESTREAMS_TRIGGERS_REQUEUE_AFTER": "1",
    "IMAGESTREAMS_REGISTRY_EVENTS_SWEEP_SECONDS": "0.5",
    "IMAGESTREAMS_REGISTRY_EVENTS_REQUEUE_AFTER": "1",
    "IMAGESTREAMS_TRIGGER_TIMEOUT": "5",
    "IMAGESTREAMS_TRIGGER_RETRY_BASE_SECONDS": "0.5",
    "IMAGESTREAMS_SCHEDULED_INTERVAL": "2",
    "IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL": "1",
    "IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS": "0.5",
    "IMAGESTREAMS_REGISTRY_TIMEOUT": f"{REQUEST_TIMEOUT:.0f}",  # an integer setting
}


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
    require_postgres(why)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        require_tool(None, f"redis-server (nothing answers at {REDIS_URL})")


def require_postgres(why: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: {why} (bash .ci/test sets DATABASE_URL to it)")


def require_redis_server() -> None:
    """For a private redis-server (Processes.start_redis)."""
    require_tool(shutil.which("redis-server"), "redis-server")


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


@contextlib.contextmanager
def tasks_lost() -> Iterator[None]:
    """Tasks this (the test's) process queues go to its in-memory broker,
    which no worker reads, instead of running at once (tests/settings.py):
    as if the process died right after committing. For tests whose workers
    are real processes, or played by the test itself."""
    from imagestreams.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


class RedisServer:
    """A private redis-server on a free loopback port (never the machine's
    Redis), without persistence: a restart loses every queued message."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> RedisServer:
        options = ["--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        command = ["redis-server", "--port", str(self.port), *options, "--dir", str(self.workdir)]
        self.process = spawn(command, dict(os.environ), self.workdir / "redis.log")
        client = redis.Redis.from_url(self.url, socket_connect_timeout=REQUEST_TIMEOUT)
        wait_ready(self.process, lambda: _pings(client), "redis-server", self.workdir / "redis.log")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            kill(self.process)  # a crash: nothing is saved

    def queued(self, queue: str) -> int:
        return redis.Redis.from_url(self.url).llen(queue)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Processes:
    """The processes of one test, in its work directory: workers, beat and
    gunicorn started with one environment (the test database, tests.
    process_settings, a queue of their own, short periods), each logging to
    <name>.log. Any can be stopped, SIGKILLed and started again.

    While they run, tasks the test's process queues are lost (tasks_lost):
    the workers' sweeps find the work. Everything the test wants done, the
    processes do."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.workdir = workdir
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.redis: RedisServer | None = None
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "TEST_PROCESS_QUEUE": self.queue,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "DATA_DIR": str(workdir / "var"),
            "PYTHONUNBUFFERED": "1",
            "IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES": "1",
            # One shared cache for the test and its processes, as in production.
            "TEST_CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
            **env,
        }
        self._lost = tasks_lost()
        self._lost.__enter__()

    def start_redis(self) -> RedisServer:
        """A private redis-server as the broker (for tests that stop it)."""
        require_redis_server()
        self.redis = RedisServer(self.workdir).start()
        self.env["CELERY_BROKER_URL"] = self.redis.url
        return self.redis

    def worker(self, name: str, *options: str) -> None:
        """A worker (one process) on the test's queue; `options` go to celery worker."""
        command = [*CELERY, "worker", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
        command += ["-c", "1", "-Q", self.queue, "-l", "INFO", *options]
        self.start(name, command)

    def beat(self, name: str = "beat") -> None:
        schedule = str(self.workdir / f"{name}-schedule")
        self.start(name, [*CELERY, "beat", "-l", "INFO", "-s", schedule])

    def gunicorn(self, workers: int, name: str = "gunicorn", *options: str) -> str:
        """gunicorn on a free port with `workers` workers; its URL, once it answers."""
        url = f"http://{LOOPBACK}:{free_port()}"
        command = [sys.executable, "-m", "gunicorn", "imagestreams.wsgi:application"]
        command += ["-b", url.removeprefix("http://"), "-w", str(workers), "--no-control-socket"]
        self.start(name, [*command, *options])
        wait_ready(self.processes[name], lambda: answers(f"{url}/login/"), name, self.log(name))
        return url

    def start(self, name: str, command: list[str]) -> None:
        self.processes[name] = spawn(command, self.env, self.log(name))

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children, as a crash would."""
        kill(self.processes.pop(name))

    def stop(self, name: str) -> None:
        stop([self.processes.pop(name)])

    def stop_all(self) -> None:
        stop(self.processes.values())
        self.processes.clear()
        if self.redis is not None:
            self.redis.stop()
        self._lost.__exit__(None, None, None)

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def log_files(self) -> list[Path]:
        return sorted(self.workdir.glob("*.log"))

    def logs(self) -> str:
        return log_tails(self.log_files())

    def wait_for(self, check: Callable, what: str, timeout: float = PATIENCE):
        return wait_for(check, what, self.log_files(), timeout)

    def wait_for_sweeps(self) -> None:
        """Wait until beat's sweeps and reconciliation ran several more times
        on the workers: anything they would redo late has been redone."""
        wait_for_more_runs(self.log_files())


@contextlib.contextmanager
def running(workdir: Path, **env: str) -> Iterator[Processes]:
    """`with running(tmp_path, SETTING="…") as processes:`; stops everything after."""
    processes = Processes(workdir, **env)
    try:
        yield processes
    finally:
        processes.stop_all()


def eventually_stable(processes: Processes, measure):
    """The value of `measure()` after several more sweeps, asserted
    unchanged: nothing runs twice late."""
    before = measure()
    processes.wait_for_sweeps()
    after = measure()
    assert after == before, f"changed after settling: {before} -> {after}"
    return after
