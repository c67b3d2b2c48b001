"""Run the whole service on one machine for trying it out: web, Celery worker
and Celery beat, with the embedded defaults (SQLite, filesystem broker).

Production runs these as separate processes (see README, "Production").
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from imagestreams.models import Project


class Command(BaseCommand):
    help = "Migrate, create the first admin account, then run web + worker + beat."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")

    def handle(self, *args, host: str, port: int, concurrency: int, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        self._first_run_setup(host, port)
        processes = self._start(host, port, concurrency)
        self._supervise(processes)

    def _first_run_setup(self, host: str, port: int) -> None:
        users = get_user_model()
        url = f"http://{host}:{port}/"
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write(f"Image Streams: log in at {url}")
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        users.objects.create_superuser("admin", "admin@localhost", password)
        Project.objects.get_or_create(name="default", defaults={"display_name": "Default"})
        self.stdout.write(
            self.style.SUCCESS(
                "Created the first admin account.\n"
                f"  Log in at {url}\n"
                f"  username: admin\n"
                f"  password: {password}\n"
                "Change it in the admin (/admin/) or with `manage.py changepassword admin`; "
                "it is shown only once."
            )
        )

    def _start(self, host: str, port: int, concurrency: int) -> list[subprocess.Popen]:
        python = sys.executable
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
            ],
            [
                python,
                "-m",
                "celery",
                "-A",
                "imagestreams",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
            ],
            [python, "-m", "celery", "-A", "imagestreams", "beat", "--loglevel=INFO"],
        ]
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self._metrics_directory()}
        return [subprocess.Popen(command, env=env) for command in commands]

    def _metrics_directory(self) -> str:
        """One directory for the counters of web, worker and beat, so that
        /metrics adds them up; emptied at start as prometheus_client requires."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.DATA_DIR / "metrics")
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)
        return directory

    def _supervise(self, processes: list[subprocess.Popen]) -> None:
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # If any process dies the service is incomplete: stop everything.
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
