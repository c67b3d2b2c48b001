"""Run the whole service on one machine for trying it out: web, Celery worker
and Celery beat, with the embedded defaults (SQLite, filesystem broker).

Quiet by default: the processes show warnings and errors only, so that the
box with the sign-in details, printed once they are up, stays on screen.
Production runs these as separate processes (see README, "Production").
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from imagestreams.operations.first_run import ADMIN_USERNAME, first_run_needed, first_run_setup

READY_POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = "Migrate, create the first admin account, then run web + worker + beat."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="show the processes' info logs and Celery's banners (default: warnings "
            "and errors only)",
        )

    def handle(self, *args, host: str, port: int, concurrency: int, verbose: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        password = self._first_run_password()
        url = f"http://{host}:{port}/"
        self._stopping = False
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        with tempfile.TemporaryDirectory(prefix="imagestreams-serve-") as run_dir:
            processes = self._start(host, port, concurrency, verbose, Path(run_dir))
            try:
                if self._wait_until_up(processes, url, Path(run_dir)):
                    self.stdout.write(self._sign_in_box(url, password, verbose))
                    self.stdout.flush()
                    self._supervise(processes)
                elif not self._stopping:
                    self.stderr.write(
                        "A process stopped before the service was up (its errors are above); "
                        "stopping the others."
                    )
            finally:
                self._stop_all(processes)

    def _stop(self, *_) -> None:
        self._stopping = True

    def _first_run_password(self) -> str | None:
        """The new admin's password on the first run, None afterwards."""
        if not first_run_needed():
            return None
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        first_run_setup(password)
        return password

    def _sign_in_box(self, url: str, password: str | None, verbose: bool) -> str:
        server = url.rstrip("/")
        if password is not None:
            account = [
                f"1. Sign in at {url}",
                f"     username: {ADMIN_USERNAME}",
                f"     password: {password}",
                "   The password is shown only this once: change it in the admin",
                f"   ({server}/admin/) or with `manage.py changepassword {ADMIN_USERNAME}`.",
            ]
        else:
            account = [
                f"1. Sign in at {url} (account `{ADMIN_USERNAME}` and the password",
                f"   set on the first run; `manage.py changepassword {ADMIN_USERNAME}` resets it).",
            ]
        lines = [
            f"Image Streams is running at {url}",
            "",
            *account,
            "2. Create a project for your team on the Projects page (a project",
            "   `default` is there to try things), or with `isctl new-project <name>`.",
            "3. Use it from the command line (isctl is installed with the service):",
            f"     isctl login --server {server} --username {ADMIN_USERNAME}",
            "",
            "All the processes' logs follow (--verbose)."
            if verbose
            else "Only warnings and errors show from here on (`serve --verbose`: everything).",
            "Stop with Ctrl-C.",
        ]
        width = max(len(line) for line in lines) + 4
        rule = "=" * width
        body = "\n".join(f"  {line}".rstrip() for line in lines)
        return self.style.SUCCESS(f"\n{rule}\n{body}\n{rule}\n")

    def _start(
        self, host: str, port: int, concurrency: int, verbose: bool, run_dir: Path
    ) -> list[subprocess.Popen]:
        python = sys.executable
        level = "INFO" if verbose else "WARNING"
        # -q drops Celery's start-up banners (and beat's) unless asked for.
        celery = [python, "-m", "celery", "-A", "imagestreams", *([] if verbose else ["-q"])]
        commands = [
            # gunicorn, not runserver: people try the service with several clients at once
            # (CI jobs calling isctl in parallel), and the development server resets
            # connections beyond its small listen queue.
            [
                python,
                "-m",
                "gunicorn",
                "imagestreams.wsgi",
                f"--bind={host}:{port}",
                "--worker-class=gthread",
                "--workers=2",
                "--threads=8",
                "--backlog=1024",
                "--graceful-timeout=5",
                f"--log-level={level.lower()}",
                f"--pid={run_dir / 'web.pid'}",
            ],
            [
                *celery,
                "worker",
                f"--loglevel={level}",
                f"--concurrency={concurrency}",
                f"--pidfile={run_dir / 'worker.pid'}",
            ],
            [*celery, "beat", f"--loglevel={level}", f"--pidfile={run_dir / 'beat.pid'}"],
        ]
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self._metrics_directory()}
        if not verbose:
            # The processes log through the project's logging (LOG_LEVEL); an
            # explicit LOG_LEVEL in the environment still wins.
            env.setdefault("LOG_LEVEL", level)
        # Their own session: Ctrl-C reaches this command only, which stops them in
        # order (a signal to Celery's pool processes too is logged as an error).
        return [subprocess.Popen(command, env=env, start_new_session=True) for command in commands]

    def _wait_until_up(self, processes: list[subprocess.Popen], url: str, run_dir: Path) -> bool:
        """Until the web answers and worker and beat have started (their pid
        files exist); False if a process ended first."""
        pidfiles = [run_dir / name for name in ("web.pid", "worker.pid", "beat.pid")]
        with httpx.Client(timeout=5) as client:
            while not self._stopping and all(p.poll() is None for p in processes):
                if all(path.exists() for path in pidfiles) and _answers(client, url):
                    return True
                time.sleep(READY_POLL_SECONDS)
        return False

    def _metrics_directory(self) -> str:
        """One directory for the counters of web, worker and beat, so that
        /metrics adds them up; emptied at start as prometheus_client requires."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.DATA_DIR / "metrics")
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)
        return directory

    def _supervise(self, processes: list[subprocess.Popen]) -> None:
        # If any process dies the service is incomplete: stop everything.
        while not self._stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)

    def _stop_all(self, processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}login/").status_code < 500
    except httpx.TransportError:
        return False
