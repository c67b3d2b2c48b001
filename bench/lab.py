"""The processes a benchmark run needs: its own PostgreSQL database, a Redis
queue, two Distribution registries (an upstream one and the integrated one),
gunicorn and Celery workers, all on loopback and all stopped at the end.
They start, are waited for and stop as the tests' processes do
(tests/subprocesses.py), with the bench's settings (bench/settings.py)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg

from tests.registry_lab.net import free_port, wait_until
from tests.registry_lab.registry import Notifications, RegistryProcess
from tests.subprocesses import CELERY, ROOT, answers, kill, spawn, stop, wait_ready

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
GUNICORN_WORKERS = 4  # as in the README's production example (bench.config.Sizes.web_workers)
# The production example's sync workers, the first of the settings b3_api compares.
GUNICORN_DEFAULT = ("-w", str(GUNICORN_WORKERS))


class LabError(RuntimeError):
    pass


class LoggedRegistry(RegistryProcess):
    """A registry that writes its access log: every request it served is a
    line, which is how requests per tag are counted."""

    def config(self, port: int) -> dict[str, Any]:
        cfg = super().config(port)
        cfg["log"] = {"level": "warn", "accesslog": {"disabled": False}}
        return cfg

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None


def recreate_database(name: str) -> str:
    """Drop and create the bench database (never the test databases)."""
    drop_database(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_database(name: str) -> None:
    if not name.startswith("imagestreams_bench"):
        raise LabError(f"refusing to drop {name}: not a bench database")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class WorkerProcess:
    """A Celery worker of the lab, with what it was started with."""

    process: subprocess.Popen
    name: str
    processes: int
    settings: dict[str, str]
    queue: str

    def runs(self, processes: int, settings: dict[str, str]) -> bool:
        return self.process.poll() is None and (self.processes, self.settings) == (
            processes,
            settings,
        )


@dataclass
class Lab:
    """Ports, secrets and environment of one run; the processes it started."""

    workdir: Path
    database_url: str
    queue: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:8]}")
    web_port: int = field(default_factory=free_port)
    integrated_port: int = field(default_factory=free_port)
    notification_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    upstream: LoggedRegistry | None = None
    integrated: LoggedRegistry | None = None
    web: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    worker_name: str = ""
    worker_processes_count: int = 0
    worker_settings: dict[str, str] = field(default_factory=dict)
    worker_queue: str = ""  # the queue the running worker consumes (to send its tasks to)
    standby: WorkerProcess | None = None  # a second worker, see boot_standby_worker
    _retired: list[subprocess.Popen] = field(default_factory=list)  # standbys stopping
    web_workers: int = GUNICORN_WORKERS
    web_config: tuple[tuple[str, ...], dict[str, str]] | None = None  # what `web` runs

    @property
    def probe_file(self) -> Path:
        return self.workdir / "probe.jsonl"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def integrated_url(self) -> str:
        return f"http://127.0.0.1:{self.integrated_port}"

    def environment(self, **overrides: str) -> dict[str, str]:
        """What every process of the run reads (the product's own variables)."""
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.database_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": REDIS_URL,
            # The cache is Redis as in production (README): rate limits, stream versions.
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"{self.queue}-cache",
            "BENCH_QUEUE": self.queue,
            "BENCH_PROBE_FILE": str(self.probe_file),
            "SECRET_KEY": self.secret_key,
            "DATA_DIR": str(self.workdir / "data"),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            # Plain HTTP on loopback: no TLS proxy in front of gunicorn here.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            # One local registry stands for all the registries a real
            # installation follows, so its politeness limit is lifted (the
            # report says what the default means for a single registry).
            "IMAGESTREAMS_REGISTRY_REQUESTS_PER_SECOND": "100000",
            "IMAGESTREAMS_MAX_IMAGES_BULK_IMPORTED": "-1",
            "IMAGESTREAMS_INTEGRATED_REGISTRY_URL": self.integrated_url,
            "IMAGESTREAMS_REGISTRY_NOTIFICATION_SECRET": self.notification_secret,
            "IMAGESTREAMS_WEBHOOK_SECRET": self.webhook_secret,
            # Every registry and receiver here is on loopback.
            "IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES": "1",
            "IMAGESTREAMS_IMPORT_ALLOW_PRIVATE_ADDRESSES": "1",
        }
        env.update(overrides)
        return env

    def export(self) -> None:
        """Configure this (the driver's) process like the others, before Django starts."""
        os.environ.update(self.environment(**self.worker_settings))

    # -- registries --------------------------------------------------------------------
    def start_registries(self) -> None:
        self.upstream = LoggedRegistry(self.workdir / "upstream")
        self.upstream.start()
        notify = Notifications(
            f"{self.web_url}/hooks/registry",
            authorization=f"Bearer {self.notification_secret}",
            timeout="2s",
            threshold=3,
            backoff="1s",
        )
        self.integrated = LoggedRegistry(self.workdir / "integrated", notifications=notify)
        self.integrated.port = self.integrated_port
        self.integrated.start()

    # -- web ---------------------------------------------------------------------------
    def start_web(self, workers: tuple[str, ...] | None = None, **settings: str) -> None:
        """(Re)start gunicorn with these worker arguments (default: `-w web_workers`)
        and product settings; nothing to do if it runs with them already."""
        workers = workers or ("-w", str(self.web_workers))
        if (
            self.web is not None
            and self.web.poll() is None
            and self.web_config
            == (
                workers,
                settings,
            )
        ):
            return
        stop([self.web])
        self.web_config = (workers, settings)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "imagestreams.wsgi:application",
            "-b",
            f"127.0.0.1:{self.web_port}",
            *workers,
            "--no-control-socket",
            "--timeout",
            "120",
        ]
        log = self.workdir / "gunicorn.log"
        self.web = spawn(command, {**os.environ, **self.environment(**settings)}, log)
        wait_ready(self.web, lambda: answers(f"{self.web_url}/bench/trivial"), "gunicorn", log)

    # -- workers -----------------------------------------------------------------------
    def start_worker(
        self, *, processes: int, threads: int, ping: bool = True, **settings: str
    ) -> None:
        """(Re)start the Celery worker: `processes` prefork children, each
        checking with `threads` requests in flight per registry; `settings`
        are more environment variables of the product. Without `ping` (a broker
        the driver does not use), the caller's first task tells when it is up.
        If the standby worker (boot_standby_worker) runs so, the two swap."""
        wanted = {"IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY": str(threads), **settings}
        if self.worker is not None and (self.worker_processes_count, self.worker_settings) == (
            processes,
            wanted,
        ):
            return
        if self.standby is not None and self.standby.runs(processes, wanted):
            self._swap_workers(ping=ping)
            return
        old = self.worker
        _terminate_worker(old)
        # The new worker boots while the old one shuts down (nothing is sent
        # to the queue meanwhile); both are done before a measurement starts.
        self._set_worker(self._spawn_worker(processes, wanted, self.queue))
        _wait_worker(old)
        if ping:
            wait_ready(self.worker, self._worker_answers, "the Celery worker", self._worker_log)

    def boot_standby_worker(
        self, *, processes: int, threads: int, own_queue: bool = True, **settings: str
    ) -> None:
        """Start a second worker with other settings beside the running one,
        by default on a queue of its own (its tasks and the tasks it sends go
        there, not to the running worker's; a worker on another broker needs
        none); start_worker with these settings then swaps the two, without a
        restart or a boot to wait for (a smoke run's variants). An idle standby
        costs memory and little CPU. A standby booted before is stopped."""
        if self.standby is not None:
            _terminate_worker(self.standby.process)
            self._retired.append(self.standby.process)  # waited for by stop()
        wanted = {"IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY": str(threads), **settings}
        queue = f"{self.queue}-standby" if own_queue else self.queue
        self.standby = self._spawn_worker(processes, wanted, queue)

    def _spawn_worker(self, processes: int, settings: dict[str, str], queue: str) -> WorkerProcess:
        name = f"bench-{uuid.uuid4().hex[:6]}@bench"
        command = [
            *CELERY,
            "worker",
            "-c",
            str(processes),
            "-Q",
            queue,
            "-n",
            name,
            "-l",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
        ]
        env = {**os.environ, **self.environment(BENCH_QUEUE=queue, **settings)}
        process = spawn(command, env, self._worker_log)
        return WorkerProcess(process, name, processes, settings, queue)

    def _set_worker(self, worker: WorkerProcess) -> None:
        self.worker = worker.process
        self.worker_name = worker.name
        self.worker_processes_count = worker.processes
        self.worker_settings = worker.settings
        self.worker_queue = worker.queue

    def _swap_workers(self, *, ping: bool) -> None:
        assert self.standby is not None
        running = None
        if self.worker is not None:
            running = WorkerProcess(
                self.worker,
                self.worker_name,
                self.worker_processes_count,
                self.worker_settings,
                self.worker_queue,
            )
        self._set_worker(self.standby)
        self.standby = running
        if ping:
            wait_ready(self.worker, self._worker_answers, "the Celery worker", self._worker_log)

    @property
    def _worker_log(self) -> Path:
        return self.workdir / "worker.log"  # of every worker of the run

    def start_web_and_worker(
        self, *, processes: int, threads: int, ping: bool = True, **settings: str
    ) -> None:
        """Web (default workers) and worker with these product settings, (re)started
        side by side: each takes seconds to boot, mostly imports."""
        with ThreadPoolExecutor(2) as pool:
            started = [
                pool.submit(self.start_web, **settings),
                pool.submit(
                    self.start_worker, processes=processes, threads=threads, ping=ping, **settings
                ),
            ]
        for future in started:
            future.result()

    def _worker_answers(self) -> bool:
        from imagestreams.celery import app

        return bool(app.control.ping(destination=[self.worker_name], timeout=2.0))

    def worker_processes(self) -> list[psutil.Process]:
        if self.worker is None:
            return []
        parent = psutil.Process(self.worker.pid)
        return [parent, *parent.children(recursive=True)]

    def stop_worker(self) -> None:
        _terminate_worker(self.worker)
        _wait_worker(self.worker)
        self.worker = None

    # -- everything --------------------------------------------------------------------
    def stop(self, *, kill_now: bool = False) -> None:
        """Stop everything at once (each takes a moment to exit). With
        `kill_now` (a smoke run, whose data is thrown away), web and worker are
        SIGKILLed: a Celery worker's warm shutdown alone takes about 2 s."""
        standby = self.standby.process if self.standby is not None else None
        workers = (self.worker, standby, *self._retired)
        if kill_now:
            for process in (*workers, self.web):
                if process is not None and process.poll() is None:
                    kill(process)
        for worker in workers:
            _terminate_worker(worker)
        stop([self.web], meanwhile=self._stop_registries)
        for worker in workers:
            _wait_worker(worker)
        self.worker = self.web = self.standby = None
        self._retired.clear()

    def _stop_registries(self) -> None:
        """Both registries side by side (each can take half a second to exit)."""
        running = [r for r in (self.integrated, self.upstream) if r is not None]
        with ThreadPoolExecutor(len(running) or 1) as pool:
            list(pool.map(lambda registry: registry.stop(), running))


def _terminate_worker(worker: subprocess.Popen | None) -> None:
    """SIGTERM to the Celery worker's main process only, which then stops its
    pool. SIGTERM to the whole process group can kill a pool child holding
    the lock of the pool's shared task queue (the plain prefork pool that
    the filesystem broker runs) and the main process then hangs at exit,
    until killed."""
    if worker is not None and worker.poll() is None:
        worker.send_signal(signal.SIGTERM)


def _wait_worker(worker: subprocess.Popen | None, timeout: float = 20.0) -> None:
    """Wait for a terminated worker; after `timeout`, stop its whole group."""
    if worker is None:
        return
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop([worker])


class MemorySampler:
    """Samples the worker's processes in the background: the largest RSS of
    any one process and the largest PSS of them all together (shared pages
    counted once)."""

    def __init__(self, lab: Lab, interval: float = 0.5) -> None:
        self.lab = lab
        self.interval = interval
        self.max_rss = 0
        self.max_total_pss = 0
        self.max_total_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        rss = pss = 0
        for process in self.lab.worker_processes():
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue
            self.max_rss = max(self.max_rss, info.rss)
            rss += info.rss
            pss += info.pss
        self.max_total_rss = max(self.max_total_rss, rss)
        self.max_total_pss = max(self.max_total_pss, pss)

    def as_dict(self) -> dict[str, float]:
        mib = 1024 * 1024
        return {
            "max_process_rss_mib": round(self.max_rss / mib, 1),
            "max_total_rss_mib": round(self.max_total_rss / mib, 1),
            "max_total_pss_mib": round(self.max_total_pss / mib, 1),
        }


def wait_for(check, *, timeout: float, what: str, interval: float = 0.05) -> None:
    if not wait_until(check, timeout=timeout, interval=interval):
        raise LabError(f"timed out after {timeout:.0f} s waiting for {what}")


def monotonic() -> float:
    return time.monotonic()


class CpuMeter:
    """CPU seconds used by each part of the system while a workload runs."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.used: dict[str, float] = {}
        self.seconds = 0.0

    def _groups(self) -> dict[str, list[psutil.Process]]:
        by_name: dict[str, list[psutil.Process]] = {"postgres": [], "redis": []}
        for process in psutil.process_iter(["name"]):
            if process.info["name"] == "postgres":
                by_name["postgres"].append(process)
            elif (process.info["name"] or "").startswith("redis-server"):
                by_name["redis"].append(process)
        web = psutil.Process(self.lab.web.pid) if self.lab.web else None
        registry = self.lab.upstream.pid if self.lab.upstream else None
        return {
            "worker": self.lab.worker_processes(),
            "registry": [psutil.Process(registry)] if registry else [],
            "web": [web, *web.children()] if web else [],
            "driver": [psutil.Process()],
            **by_name,
        }

    def _snapshot(self) -> dict[tuple[str, int], float]:
        found = {}
        for group, processes in self._groups().items():
            for process in processes:
                try:
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                found[(group, process.pid)] = times.user + times.system
        return found

    def __enter__(self) -> CpuMeter:
        self._before = self._snapshot()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self._started
        used: dict[str, float] = {}
        for (group, pid), total in self._snapshot().items():
            used[group] = used.get(group, 0.0) + total - self._before.get((group, pid), 0.0)
        self.used = {group: round(seconds, 2) for group, seconds in used.items()}
