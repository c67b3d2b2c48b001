"""The README's run command: `manage.py serve` brings up web, worker and beat
with the embedded defaults (SQLite, filesystem broker) and they work together."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.processes import wait_for
from tests.registry_lab.net import REQUEST_TIMEOUT, free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.registry


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


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = embedded_env(tmp_path / "var")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield env, f"http://127.0.0.1:{port}", log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serve_runs_web_worker_and_beat(served, registry, pusher, unique_repo):
    env, url, log = served

    def login_page():
        try:
            return httpx.get(f"{url}/admin/login/", timeout=REQUEST_TIMEOUT).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(login_page, "the web server", [log])
    output = log.read_text()
    assert f"Log in at {url}/" in output
    password = re.search(r"password: (\S+)", output).group(1)
    login = httpx.Client(base_url=url, follow_redirects=True)
    page = login.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = login.post(
        "/admin/login/?next=/admin/",
        data={"username": "admin", "password": password, "csrfmiddlewaretoken": token},
    )
    assert "Site administration" in response.text

    # A pending import is picked up by beat's reconcile and run by the worker.
    pushed = pusher(registry).push_image(unique_repo, "1")
    shell(
        env,
        "from imagestreams.models import *; p = Project.objects.get(name='default'); "
        "s = ImageStream.objects.create(project=p, name='app'); "
        f"Tag.objects.create(stream=s, name='1', from_kind='DockerImage', "
        f"from_name='{pushed.reference}', insecure=True, generation=2)",
    )
    digest_query = (
        "from imagestreams.models import TagEvent; "
        "e = TagEvent.objects.filter(tag__name='1').first(); print(e.image.digest if e else '')"
    )
    imported = wait_for(lambda: shell(env, digest_query), "the worker to import the tag", [log])
    assert imported == pushed.digest
