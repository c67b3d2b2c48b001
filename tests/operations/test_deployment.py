"""The production layout, scaled out on one machine: two Celery workers and
one beat as separate processes, sharing PostgreSQL and Redis. Imports,
scheduled checks and trigger deliveries are spread over both workers, and
nothing is done twice: one history entry per change, one delivery per change
and trigger, each sent once, no task run by both workers."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.services.tagging import TagOptions, tag_set
from tests.operations.test_metrics import scrape, value
from tests.processes import (
    require_postgres_and_redis,
    running,
    wait_for_checks,
    wait_for_more_runs,
)
from triggers.models import Delivery
from triggers.services.triggers import trigger_create

STREAMS = 6
IMPORTS = {"imagestreams.tasks.tag_import_task", "imagestreams.tasks.scheduled_check_batch"}
TASK_LINE = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] succeeded")
pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deployment(tmp_path):
    """worker-1, worker-2 and beat, started as in docs/operations.md."""
    require_postgres_and_redis("several processes share one database")
    with running(
        tmp_path,
        LOG_FORMAT="json",
        # Every process counts in its own file there; /metrics adds them up.
        PROMETHEUS_MULTIPROC_DIR=str(metrics_directory(tmp_path)),
        # Short periods so that a run takes seconds, not minutes.
        IMAGESTREAMS_RECONCILE_SECONDS="1",
        IMAGESTREAMS_SCHEDULED_INTERVAL="2",
        IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL="1",
        IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS="0.5",
        IMAGESTREAMS_SCHEDULED_BATCH_SIZE="1",
        IMAGESTREAMS_TRIGGERS_SWEEP_SECONDS="1",
        IMAGESTREAMS_TRIGGERS_REQUEUE_AFTER="5",
        IMAGESTREAMS_REGISTRY_EVENTS_SWEEP_SECONDS="1",
        IMAGESTREAMS_REGISTRY_EVENTS_REQUEUE_AFTER="5",
    ) as processes:
        for name in ("worker-1", "worker-2"):
            processes.worker(
                name, "--prefetch-multiplier=1", "--without-gossip", "--without-mingle"
            )
        processes.beat()
        yield processes


def metrics_directory(tmp_path: Path) -> Path:
    directory = tmp_path / "metrics"
    directory.mkdir(exist_ok=True)
    return directory


def histories(tags: list[Tag]) -> list[list[str]]:
    return [list(t.events.values_list("image__digest", flat=True)) for t in tags]


def tasks_run(log: Path) -> list[tuple[str, str]]:
    """(task name, task id) of every task the worker finished."""
    runs = []
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        match = TASK_LINE.search(json.loads(line).get("message", ""))
        if match:
            runs.append((match["name"], match["id"]))
    return runs


def test_two_workers_and_one_beat_share_the_work_without_duplicates(
    deployment,
    registry,
    pusher,
    unique_repo,
    team,
    receiver,
    operator_settings,
    client,
    tmp_path,
    monkeypatch,
):
    # Read by the workers from the database: the lab registry speaks plain HTTP.
    operator_settings(insecure_registries=registry.host)
    images = pusher(registry)
    first = images.push_image(unique_repo, "1", text="first")
    tags = []
    for n in range(STREAMS):
        trigger_create(
            project=team, name=f"hook{n}", stream=f"app{n}", url=receiver.url, by=acting_system()
        )
        [result] = tag_set(
            project=team,
            source=first.reference,
            destinations=[f"app{n}:1"],
            options=TagOptions(scheduled=True),
            by=acting_system(),
        )
        tags.append(result.tag)
    # This process's broker is in memory: the imports tag_set queued are
    # lost, and beat's reconcile loop hands them to the workers.
    logs = deployment.log_files()
    deployment.wait_for(lambda: histories(tags) == [[first.digest]] * STREAMS, "the first imports")
    second = images.push_image(unique_repo, "1", text="second")
    deployment.wait_for(
        lambda: histories(tags) == [[second.digest, first.digest]] * STREAMS,
        "the scheduled checks to find the new image",
    )
    deployment.wait_for(
        lambda: Delivery.objects.filter(status="succeeded").count() == 2 * STREAMS,
        "every delivery",
    )
    # More checks of every tag and more sweeps of every kind: nothing may be added.
    wait_for_checks(tags, logs)
    wait_for_more_runs(logs)
    for name in ("worker-1", "worker-2"):
        deployment.wait_for(
            lambda name=name: {task for task, _ in tasks_run(deployment.log(name))} & IMPORTS,
            f"{name} to run an import or a scheduled check",
        )

    assert histories(tags) == [[second.digest, first.digest]] * STREAMS
    assert Delivery.objects.count() == 2 * STREAMS  # one per change and trigger
    sent = Counter(request.headers["x-imagestreams-delivery"] for request in receiver.requests)
    assert len(sent) == 2 * STREAMS and set(sent.values()) == {1}

    runs = {name: tasks_run(deployment.log(name)) for name in ("worker-1", "worker-2")}
    ids = Counter(task_id for worker in runs.values() for _, task_id in worker)
    assert ids and max(ids.values()) == 1, "a task ran on both workers"
    done = {task for worker in runs.values() for task, _ in worker}
    assert "triggers.tasks.delivery_send_task" in done
    assert "Sending due task scheduled-sweep" in deployment.log("beat").read_text()

    # The counters of both workers' processes, added up by /metrics.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_directory(tmp_path)))
    samples = scrape(client)
    assert value(samples, "imagestreams_deliveries_total", result="succeeded") == 2 * STREAMS
    assert value(samples, "imagestreams_delivery_attempts_total", outcome="success") == 2 * STREAMS
    # Which process found the new image, and in how many batches, depends on timing:
    # at least one scheduled check reported it.
    changed = value(
        samples, "imagestreams_scheduled_checks_total", registry=registry.host, result="changed"
    )
    assert changed and changed >= 1
