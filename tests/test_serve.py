"""The README's run command: `manage.py serve` brings up web, worker and beat
with the embedded defaults (SQLite, filesystem broker) and they work together."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.registry_lab.net import PATIENCE
from tests.serving import shell, wait_for

pytestmark = pytest.mark.registry


def test_serve_runs_web_worker_and_beat(served, registry, pusher, unique_repo):
    env, url = served.env, served.url
    assert f"Log in at {url}/" in served.output()
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
