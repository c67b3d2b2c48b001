"""Real Celery workers and beat over Redis: a change whose fan-out task was
lost is found by beat's sweeps (fan-out, then send), retried with backoff
after a receiver failure, and delivered exactly once although two workers and
the sweeps keep running."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

from imagestreams.access import acting_system
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.processes import wait_for, wait_for_more_runs
from triggers.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
RETRY_BASE = 1.0


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{db['USER']}{password}@{host}/{db['NAME']}"


@pytest.fixture
def workers(tmp_path):
    """Two worker processes (one also runs beat) on a queue of their own."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes must share the test database")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.triggers.worker_settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "DATA_DIR": str(tmp_path),
        "IMAGESTREAMS_TEST_QUEUE": f"triggers-test-{uuid.uuid4().hex[:8]}",
        "IMAGESTREAMS_TRIGGERS_SWEEP_SECONDS": "0.5",
        "IMAGESTREAMS_TRIGGERS_REQUEUE_AFTER": "0.5",
        "IMAGESTREAMS_REGISTRY_EVENTS_SWEEP_SECONDS": "0.5",
        "IMAGESTREAMS_REGISTRY_EVENTS_REQUEUE_AFTER": "0.5",
        "IMAGESTREAMS_TRIGGER_RETRY_BASE_SECONDS": str(RETRY_BASE),
        "IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    processes = []
    for index, beat in enumerate((True, False)):
        command = [sys.executable, "-m", "celery", "-A", "imagestreams", "worker"]
        command += ["--concurrency=1", "--loglevel=INFO", f"--hostname=w{index}-{uuid.uuid4()}@%h"]
        command += ["-B"] if beat else []
        log = (tmp_path / f"worker{index}.log").open("w")
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    yield tmp_path
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_lost_send_is_swept_retried_with_backoff_and_delivered_once(
    team, make_trigger, receiver, workers
):
    make_trigger(stream="app", tag="1")
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())
    receiver.answer(500)
    # This process's broker is in memory: the send task is lost, as if the
    # web process died right after committing.
    tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())

    logs = sorted(workers.glob("*.log"))
    wait_for(lambda: Delivery.objects.filter(status="succeeded").exists(), "the delivery", logs)

    delivery = Delivery.objects.get()
    first, second = delivery.attempt_log.order_by("number")
    assert (first.response_status, first.outcome) == (500, "retry")
    assert (second.response_status, second.outcome) == (200, "success")
    assert second.started >= first.retry_at  # the backoff was waited for
    # Several sweeps later, on two workers: still one successful send.
    wait_for_more_runs(logs, ["triggers.tasks.triggers_sweep_task"])
    assert len(receiver.requests) == 2
    assert delivery.attempt_log.count() == 2
