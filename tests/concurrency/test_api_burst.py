"""The reported burst through the API, against real processes on PostgreSQL:
gunicorn (threaded workers, so the 16 requests really overlap), a Celery
worker and beat. Every request succeeds, every tag arrives, no process logs
an error."""

from __future__ import annotations

import threading

import httpx
import pytest

from imagestreams.access import acting
from tests.concurrency.burst import (
    BURST,
    PROJECT,
    SHARED_STREAM,
    Burst,
    assert_clean_log,
    push_burst_images,
    wait_for_all_tags,
)
from tests.processes import FAST_LOOPS, require_postgres, running

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]
WEB_WORKERS = 2
THREADS_PER_WORKER = 8  # 16 requests handled at once


def api_token() -> str:
    from django.contrib.auth import get_user_model

    from imagestreams.services.projects import project_create
    from imagestreams.services.tokens import token_create

    user = get_user_model().objects.create_user("burst", password="burst-password")
    project_create(name=PROJECT, by=acting(user, "task"))
    return token_create(by=acting(user, "task"), name="burst")[1]


def post_together(base: str, token: str, requests: list[tuple[str, dict]]) -> list[str]:
    """POST every (path, body) from its own client at the same moment; the failures."""
    start = threading.Barrier(len(requests))
    failures: list[str] = []

    def send(path: str, body: dict) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            start.wait()
            try:
                response = client.post(path, json=body)
            except httpx.HTTPError as exc:
                failures.append(f"POST {path} {body}: {type(exc).__name__}: {exc}")
                return
            if response.status_code >= 400:
                failures.append(f"POST {path} {body}: {response.status_code} {response.text[:500]}")

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def imports(burst: Burst) -> list[tuple[str, dict]]:
    return [
        (
            f"/api/v1/projects/{PROJECT}/imports",
            {
                "target": f"imported-{n}:latest",
                "from": burst.source(n),
                "confirm": True,
                "insecure": True,
            },
        )
        for n in range(1, BURST + 1)
    ]


def tags(burst: Burst) -> list[tuple[str, dict]]:
    return [
        (
            f"/api/v1/projects/{PROJECT}/tag",
            {
                "source": burst.source(n),
                "destinations": [f"{SHARED_STREAM}:x{n}"],
                "insecure": True,
            },
        )
        for n in range(1, BURST + 1)
    ]


def test_simultaneous_imports_and_tags_through_the_api(tmp_path, registry, pusher, unique_repo):
    require_postgres("gunicorn, worker and beat processes share the test database")
    burst = push_burst_images(pusher, registry, unique_repo)
    token = api_token()
    with running(tmp_path, **FAST_LOOPS) as cluster:
        cluster.start_redis()
        base = cluster.gunicorn(WEB_WORKERS, "gunicorn", "--threads", str(THREADS_PER_WORKER))
        cluster.beat()
        cluster.worker("worker-1")
        failures = post_together(base, token, imports(burst))
        failures += post_together(base, token, tags(burst))
        assert not failures, "\n".join(failures) + "\n" + cluster.logs()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            found = wait_for_all_tags(api, burst)
        # Read before stopping: the SIGTERM that stops the worker's pool logs its own error.
        logs = {log.name: log.read_text() for log in tmp_path.glob("*.log")}
    assert {name: found[name] for name in burst.expected()} == burst.expected()
    for text in logs.values():
        assert_clean_log(text)
