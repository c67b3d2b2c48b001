"""The README's run command as a test fixture: `manage.py serve` (web, worker
and beat in one command) with the embedded defaults, its own SQLite file and
filesystem broker whatever DATABASE_URL the test run uses. So it runs with the
product's settings, not the tests'; it starts, waits and stops through the
same harness (tests/subprocesses.py) as tests/processes.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import processes
from tests.registry_lab.net import PATIENCE, REQUEST_TIMEOUT, free_port
from tests.subprocesses import ROOT, spawn, stop, wait_ready


@dataclass
class Served:
    env: dict[str, str]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def box_printed(self) -> str:
        """The output once `serve` printed its sign-in box (it ends with this line)."""
        output = self.output()
        return output if "Stop with Ctrl-C." in output else ""

    def admin_password(self) -> str:
        return re.search(r"password: (\S+)", self.output()).group(1)


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DATA_DIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="imagestreams.settings",
        DEBUG="1",
        DATA_DIR=str(data_dir),
        IMAGESTREAMS_RECONCILE_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def shell(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def wait_for(predicate, timeout: float, what: str):
    """The shared polling helper (tests.processes.wait_for), never less patient."""
    return processes.wait_for(predicate, what, timeout=max(timeout, PATIENCE))


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/admin/login/", timeout=REQUEST_TIMEOUT).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def serve_env() -> dict[str, str]:
    """Extra environment for `served`; a test module overrides it to change a setting."""
    return {}


@pytest.fixture
def served(tmp_path, serve_env):
    """`manage.py serve` on a free port; yields a Served once the web answers."""
    port = free_port()
    env = embedded_env(tmp_path / "var") | serve_env
    log = tmp_path / "serve.log"
    process = spawn([sys.executable, "manage.py", "serve", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, lambda: _answers(url), "manage.py serve", log)
        served = Served(env, url, log)
        # The password is in the box, printed once worker and beat are up too.
        wait_for(served.box_printed, 120, "the sign-in box")
        yield served
    finally:
        stop([process], timeout=15)
