"""Where the time goes: py-spy on running processes (workers, gunicorn) and
cProfile in the driver, summarised as the few lines a report can show."""

from __future__ import annotations

import cProfile
import pstats
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A recording stopped early lasts at least this long: py-spy attaches, then samples.
MIN_RECORDING = 0.5
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


def _package(names: str) -> re.Pattern[str]:
    """Frames whose file is in one of these packages (py-spy writes paths
    relative to site-packages or the working directory) or these modules."""
    return re.compile(rf"[(/]({names})(/|\.py:)")


# Inclusive shares are reported for these groups of frames (first match wins,
# scanning from the innermost frame outwards).
GROUPS = (
    ("database driver (psycopg: sending, waiting)", _package("psycopg")),
    ("Django ORM and DB layer", _package("django/db")),
    ("HTTP client (httpx, httpcore, h11, ssl, socket)", _package("httpx|httpcore|h11|ssl|socket")),
    ("Django templates", _package("django/template")),
    ("DRF", _package("rest_framework")),
    ("Celery, kombu, redis", _package("celery|kombu|billiard|redis")),
    ("Django (other)", _package("django")),
    ("imagestreams and triggers code", _package("imagestreams|triggers")),
)
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


class SpyRecording:
    """`py-spy record` of a process tree while a workload runs."""

    def __init__(self, pid: int, output: Path, *, seconds: float, rate: int = 250) -> None:
        self.output = output
        self.error = ""
        command = [PY_SPY, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
        command += ["--rate", str(rate), "--duration", str(max(1, round(seconds)))]
        command += ["--format", "raw", "--output", str(output)]
        self._started = time.monotonic()
        try:
            self._process: subprocess.Popen | None = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            self._process, self.error = None, str(exc)

    def stop(self) -> None:
        """End the sampling now (py-spy writes what it has on SIGINT), so that
        what the process does next is not counted."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)

    def summary(self, timeout: float = 120, *, stop: bool = False) -> dict:
        """Wait for py-spy to finish and summarise what it sampled. With `stop`
        (a smoke run), end the recording now rather than at its duration: py-spy
        writes what it sampled on SIGINT (given a moment to attach first)."""
        if self._process is not None:
            if stop and self._process.poll() is None:
                time.sleep(max(0.0, self._started + MIN_RECORDING - time.monotonic()))
                self._process.send_signal(signal.SIGINT)
            try:
                _, stderr = self._process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                _, stderr = self._process.communicate()
            if self._process.returncode != 0 and not self.output.exists():
                self.error = stderr.decode(errors="replace").strip()[-300:]
        if self.error or not self.output.exists():
            return {"error": self.error or "py-spy wrote nothing"}
        return summarise_raw(self.output.read_text())


def summarise_raw(text: str, top: int = 12) -> dict:
    """Self time by function and inclusive time by group, as shares of the
    samples that were not idle (waiting in select/poll/sleep/recv)."""
    own: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    busy = idle = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        leaf = _short(frames[-1])
        if _idle(leaf):
            idle += count
            continue
        busy += count
        own[leaf] += count
        groups[_group(frames)] += count
    if not busy:
        return {"error": "no busy samples"}
    share = lambda n: round(100 * n / busy, 1)  # noqa: E731
    return {
        "busy_samples": busy,
        "idle_samples": idle,
        "top_self": [(name, share(n)) for name, n in own.most_common(top)],
        "groups": [(name, share(n)) for name, n in groups.most_common()],
    }


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match.group('function')} ({_short_path(match.group('file'))})"


def _short_path(path: str) -> str:
    for marker in ("site-packages/", f"{ROOT}/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


# Leaf functions of a thread that waits (for a socket, a lock, a timer): not busy.
_IDLE = re.compile(
    r"^(select|poll|epoll_wait|wait|sleep|recv|recv_into|accept|read|readline|acquire"
    r"|_wait_for_tstate_lock|brpop|_recv) "
)


def _idle(leaf: str) -> bool:
    return bool(_IDLE.match(leaf))


def _group(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in GROUPS:
            if pattern.search(frame):
                return name
    return "other (stdlib, interpreter)"


def cprofile(call: Callable[[], object], top: int = 12) -> list[tuple[str, float, float]]:
    """(function, own seconds, cumulative seconds) of the costliest functions of one call."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_, _, own, cumulative, _) in stats.stats.items():
        rows.append((f"{function} ({_short_path(filename)}:{line})", own, cumulative))
    rows.sort(key=lambda row: row[1], reverse=True)
    return [(name, round(own, 4), round(cum, 4)) for name, own, cum in rows[:top]]
