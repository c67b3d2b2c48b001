"""Scheduled imports with real processes: Redis as broker, two Celery workers
and beat started as subprocesses against the test's PostgreSQL database."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.services.tagging import TagOptions, tag_set
from tests.factories import ProjectFactory
from tests.processes import (
    require_postgres_and_redis,
    running,
    tasks_succeeded,
    wait_for_checks,
)

BATCH_TASK = "imagestreams.tasks.scheduled_check_batch"
pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def processes(tmp_path):
    """Two workers, and beat with only the sweep."""
    require_postgres_and_redis("several processes share the database")
    with running(
        tmp_path,
        TEST_BEAT_TASKS="imagestreams.tasks.scheduled_sweep",
        IMAGESTREAMS_SCHEDULED_INTERVAL="2",
        IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL="1",
        IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS="0.5",
    ) as processes:
        processes.worker("worker-1")
        processes.worker("worker-2")
        processes.beat()
        yield processes


def histories(tags: list[Tag]) -> list[list[str]]:
    return [
        list(Tag.objects.get(pk=t.pk).events.values_list("image__digest", flat=True)) for t in tags
    ]


def test_workers_and_beat_pick_up_a_repush_without_duplicates(
    processes, registry, pusher, unique_repo, tmp_path
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
    logs = processes.log_files()
    processes.wait_for(
        lambda: histories(tags) == [[first.digest]] * len(tags), "the first scheduled import"
    )
    second = client.push_image(unique_repo, "1", text="two")
    processes.wait_for(
        lambda: histories(tags) == [[second.digest, first.digest]] * len(tags),
        "the re-push to show up in every tag's history",
    )
    wait_for_checks(tags, logs)  # unchanged checks of every tag must add nothing
    assert histories(tags) == [[second.digest, first.digest]] * len(tags)
    for name in ("worker-1", "worker-2"):
        processes.wait_for(
            lambda name=name: tasks_succeeded([tmp_path / f"{name}.log"], BATCH_TASK),
            f"{name} to check a batch",
        )
