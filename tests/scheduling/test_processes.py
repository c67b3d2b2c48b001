"""Scheduled imports with real processes: Redis as broker, two Celery workers
and beat started as subprocesses against the test's PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.services.tagging import TagOptions, tag_set
from tests.factories import ProjectFactory
from tests.processes import (
    REDIS_URL,
    database_url,
    require_postgres_and_redis,
    tasks_succeeded,
    wait_for,
    wait_for_checks,
)

ROOT = Path(__file__).resolve().parents[2]
BATCH_TASK = "imagestreams.tasks.scheduled_check_batch"
pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def processes(tmp_path):
    require_postgres_and_redis(
        "needs PostgreSQL (several processes share the database): run `bash .ci/test`, "
        "which sets DATABASE_URL"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.scheduling.process_settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "SCHEDULING_TEST_QUEUE": f"scheduling-test-{uuid.uuid4().hex[:8]}",
        "DATA_DIR": str(tmp_path / "var"),
        "IMAGESTREAMS_SCHEDULED_INTERVAL": "2",
        "IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL": "1",
        "IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    celery = [sys.executable, "-m", "celery", "-A", "imagestreams"]
    queue = env["SCHEDULING_TEST_QUEUE"]
    commands = {
        "worker-1": [*celery, "worker", "-n", "one@%h", "-c", "1", "-Q", queue, "-l", "INFO"],
        "worker-2": [*celery, "worker", "-n", "two@%h", "-c", "1", "-Q", queue, "-l", "INFO"],
        "beat": [*celery, "beat", "-l", "INFO", "-s", str(tmp_path / "beat-schedule")],
    }
    logs = {name: tmp_path / f"{name}.log" for name in commands}
    started = []
    try:
        for name, command in commands.items():
            with logs[name].open("w") as out:
                started.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                    )
                )
        yield logs
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def histories(tags: list[Tag]) -> list[list[str]]:
    return [
        list(Tag.objects.get(pk=t.pk).events.values_list("image__digest", flat=True)) for t in tags
    ]


def test_workers_and_beat_pick_up_a_repush_without_duplicates(
    processes, registry, pusher, unique_repo
):
    client = pusher(registry)
    project = ProjectFactory(name="team")
    first = client.push_image(unique_repo, "1", text="one")
    tags = [
        tag_set(
            project=project,
            source=first.reference,
            destinations=[f"app{n}:1"],
            options=TagOptions(scheduled=True, insecure=True),
            by=acting_system(),
        )[0].tag
        for n in range(6)
    ]
    logs = list(processes.values())
    wait_for(
        lambda: histories(tags) == [[first.digest]] * len(tags), "the first scheduled import", logs
    )
    second = client.push_image(unique_repo, "1", text="two")
    wait_for(
        lambda: histories(tags) == [[second.digest, first.digest]] * len(tags),
        "the re-push to show up in every tag's history",
        logs,
    )
    wait_for_checks(tags, logs)  # unchanged checks of every tag must add nothing
    assert histories(tags) == [[second.digest, first.digest]] * len(tags)
    for name in ("worker-1", "worker-2"):
        wait_for(
            lambda name=name: tasks_succeeded([processes[name]], BATCH_TASK),
            f"{name} to check a batch",
            logs,
        )
