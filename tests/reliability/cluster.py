"""Real processes for the process-fault tests: a private redis-server on a
free loopback port (never the machine's Redis), Celery workers and beat as
subprocesses sharing the test's PostgreSQL database. Each can be stopped,
SIGKILLed and started again."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from tests.processes import log_tails, wait_for, wait_for_more_runs
from tests.registry_lab.net import LOOPBACK, PATIENCE, REQUEST_TIMEOUT, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{quote(db['USER'] or '')}{password}@{host}/{db['NAME']}"


class RedisServer:
    """redis-server without persistence: a restart loses every queued message."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> RedisServer:
        log = (self.workdir / "redis.log").open("a")
        options = ["--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), *options, "--dir", str(self.workdir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=REQUEST_TIMEOUT)
        if not wait_until(lambda: _pings(client), interval=0.1):
            raise RuntimeError(f"redis-server did not start on {self.url}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # a crash: nothing is saved
            self.process.wait(timeout=10)

    def queued(self, queue: str) -> int:
        return redis.Redis.from_url(self.url).llen(queue)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Cluster:
    def __init__(self, workdir: Path, receiver_env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.redis = RedisServer(workdir)
        self.queue = f"reliability-{uuid.uuid4().hex[:8]}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reliability.process_settings",
            "RELIABILITY_TEST_QUEUE": self.queue,
            "DATABASE_URL": database_url(),
            "DATA_DIR": str(workdir / "var"),
            "PYTHONUNBUFFERED": "1",
            "IMAGESTREAMS_RECONCILE_SECONDS": "1",
            "IMAGESTREAMS_TRIGGERS_SWEEP_SECONDS": "0.5",
            "IMAGESTREAMS_TRIGGERS_REQUEUE_AFTER": "1",
            "IMAGESTREAMS_REGISTRY_EVENTS_SWEEP_SECONDS": "0.5",
            "IMAGESTREAMS_REGISTRY_EVENTS_REQUEUE_AFTER": "1",
            "IMAGESTREAMS_TRIGGER_TIMEOUT": "5",
            "IMAGESTREAMS_TRIGGER_RETRY_BASE_SECONDS": "0.5",
            "IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES": "1",
            "IMAGESTREAMS_SCHEDULED_INTERVAL": "2",
            "IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL": "1",
            "IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS": "0.5",
            "IMAGESTREAMS_REGISTRY_TIMEOUT": f"{REQUEST_TIMEOUT:.0f}",  # an integer setting
            **(receiver_env or {}),
        }

    def start_redis(self) -> None:
        self.redis.start()
        self.env["CELERY_BROKER_URL"] = self.redis.url

    def start(self, name: str) -> None:
        """`worker-…` or `beat`, logging to <name>.log."""
        celery = [sys.executable, "-m", "celery", "-A", "imagestreams"]
        if name == "beat":
            command = [*celery, "beat", "-l", "INFO", "-s", str(self.workdir / "beat-schedule")]
        else:
            command = [*celery, "worker", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
            command += ["-c", "1", "-Q", self.queue, "-l", "INFO"]
        log = (self.workdir / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes the pool too
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process and its pool children, as a crash would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        self.redis.stop()

    def log_files(self) -> list[Path]:
        return sorted(self.workdir.glob("*.log"))

    def logs(self) -> str:
        return log_tails(self.log_files())

    def wait_for(self, predicate, what: str, timeout: float = PATIENCE):
        return wait_for(predicate, what, self.log_files(), timeout)

    def wait_for_sweeps(self) -> None:
        """Wait until beat's sweeps and reconciliation ran several more times
        on the workers: anything they would redo late has been redone."""
        wait_for_more_runs(self.log_files())


def require_cluster() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: worker and beat processes share the test database "
            "(bash .ci/test runs these tests)"
        )
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (apt-get install -y redis-server)")


def eventually_stable(cluster: Cluster, measure):
    """The value of `measure()` after several more sweeps, asserted
    unchanged: nothing runs twice late."""
    before = measure()
    cluster.wait_for_sweeps()
    after = measure()
    assert after == before, f"changed after settling: {before} -> {after}"
    return after
