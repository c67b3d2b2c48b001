"""Starting, waiting for and stopping the product's processes (gunicorn,
`manage.py serve`, Celery worker and beat) the one way every harness does:
tests/processes.py for the tests, bench/lab.py for the benchmarks. Free of
Django and pytest, so that bench/ imports it too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import httpx

from tests.registry_lab.net import PATIENCE, REQUEST_TIMEOUT, wait_until

ROOT = Path(__file__).resolve().parent.parent
CELERY = (sys.executable, "-m", "celery", "-A", "imagestreams")


class NotReady(RuntimeError):
    """A process did not become ready (its log says why)."""


def spawn(command: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `command` in the project directory with exactly `env`, appending
    its output to `log`, in a process group of its own (so that stopping it
    stops a prefork pool or gunicorn's workers too)."""
    with log.open("a") as out:
        return subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and its group, as a crash would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=PATIENCE)


def stop(
    processes: Iterable[subprocess.Popen | None],
    timeout: float = 20.0,
    meanwhile: Callable[[], object] | None = None,
) -> None:
    """SIGTERM every running process's group at once, call `meanwhile` (more
    stopping, while they exit), then wait for each; a group still running
    after `timeout` seconds is SIGKILLed."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    if meanwhile is not None:
        meanwhile()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(process)
        else:
            # A pool child still finishing after its parent exited would keep
            # its database session past the test (and the test database's drop).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def answers(url: str) -> bool:
    """The web server behind `url` answers (any status below 500)."""
    try:
        return httpx.get(url, timeout=REQUEST_TIMEOUT).status_code < 500
    except httpx.HTTPError:
        return False


def wait_ready(
    process: subprocess.Popen,
    ready: Callable[[], object],
    what: str,
    log: Path,
    timeout: float = PATIENCE,
) -> None:
    """Wait until `ready()` is true; raise NotReady (with the log's tail) if
    the process exits first or `timeout` seconds pass."""

    def check() -> object:
        if process.poll() is not None:
            raise NotReady(f"{what} exited with {process.returncode}\n{tail(log)}")
        return ready()

    if not wait_until(check, timeout=timeout, interval=0.2):
        stop([process])
        raise NotReady(f"{what} not ready after {timeout:g} s\n{tail(log)}")


def tail(log: Path, size: int = 3000) -> str:
    return f"--- {log.name}\n{log.read_text()[-size:]}" if log.exists() else ""
