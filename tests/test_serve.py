"""The README's run command: `manage.py serve` brings up web, worker and beat
with the embedded defaults (SQLite, filesystem broker) and they work together."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.registry_lab.net import PATIENCE
from tests.serving import shell, wait_for

pytestmark = pytest.mark.registry


def sign_in_box_and_after(output: str) -> tuple[str, str]:
    """The box `serve` prints once everything is up, and what came after it."""
    box = re.search(r"^(=+)\n.*?^\1\n", output, re.M | re.S)
    assert box, f"no sign-in box in the output:\n{output}"
    return box.group(0), output[box.end() :]


def test_serve_runs_web_worker_and_beat(served, registry, pusher, unique_repo):
    env, url = served.env, served.url
    box, _ = sign_in_box_and_after(served.output())
    assert f"Sign in at {url}/" in box
    assert f"isctl login --server {url} --username admin" in box
    assert "isctl new-project" in box
    password = served.admin_password()
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
    imported = wait_for(lambda: shell(env, digest_query), PATIENCE, "the worker to import the tag")
    assert imported == pushed.digest

    # The worker counted the import; the web process's /metrics adds it up.
    def imports_counted() -> bool:
        text = httpx.get(f"{url}/metrics", timeout=60).text
        counted = re.findall(r"^imagestreams_imports_total\{[^}]*\} (\S+)$", text, re.M)
        return sum(float(value) for value in counted) >= 1

    wait_for(imports_counted, PATIENCE, "/metrics to show the worker's import")

    # Quiet by default: while beat handed out its sweeps (every second here)
    # and the worker imported, nothing was printed after the box; it is last.
    _, after = sign_in_box_and_after(served.output())
    assert after == "", f"output after the sign-in box:\n{after}"
