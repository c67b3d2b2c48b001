"""/metrics: counters recorded by imports, scheduled checks and deliveries
(in process memory, added up over processes through the multiprocess
directory; no shared row is written per piece of work), and gauges of
waiting work, scraped as Prometheus does."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from imagestreams import tasks
from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.services.tagging import TagOptions, tag_set
from tests.api.conftest import url
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def scrape(client) -> dict[tuple[str, tuple], float]:
    # What Prometheus sends when it does not ask for OpenMetrics.
    response = client.get("/metrics", headers={"Accept": "text/plain;version=0.0.4"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def grown(before, after, name: str, **labels) -> float:
    """How much a counter grew between two scrapes: counters live as long as
    the process, which runs other tests too."""
    return (value(after, name, **labels) or 0.0) - (value(before, name, **labels) or 0.0)


@pytest.mark.registry
def test_imports_are_counted_by_registry_result_and_cause(
    client, editor_api, team, registry, pusher, unique_repo
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="metrics")
    before = scrape(client)
    imports = url("projects/team/imports")
    with CaptureQueriesContext(connection) as queries:
        for target in ("app:1", "other:1"):
            body = {"target": target, "from": pushed.reference, "confirm": True, "insecure": True}
            assert editor_api.post(imports, body).status_code == 200
        missing = f"{registry.host}/{unique_repo}:nope"
        body = {"target": "app:2", "from": missing, "insecure": True}
        assert editor_api.post(imports, body).json()["failed"]
    assert not [q["sql"] for q in queries if "metric" in q["sql"]]

    after = scrape(client)
    labels = {"registry": registry.host, "cause": "import"}
    assert grown(before, after, "imagestreams_imports_total", result="Success", **labels) == 2.0
    assert grown(before, after, "imagestreams_imports_total", result="Failure", **labels) == 1.0


@pytest.mark.registry
def test_scheduled_checks_are_counted_timed_and_their_backlog_shown(
    client, team, registry, pusher, unique_repo, django_capture_on_commit_callbacks
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="scheduled")
    for name in ("a", "b", "c"):
        options = TagOptions(scheduled=True, insecure=True)
        tag_set(
            project=team,
            source=pushed.reference,
            destinations=[f"{name}:1"],
            options=options,
            by=acting_system(),
        )
    tasks.scheduled_sweep()  # enrols the tags: none is due yet
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Tag.objects.filter(stream__name__in=["a", "b"]).update(next_check_at=an_hour_ago)
    Tag.objects.filter(stream__name="c").update(next_check_at=timezone.now() + timedelta(hours=1))

    before = scrape(client)
    host = registry.host
    assert value(before, "imagestreams_scheduled_tags", registry=host) == 3.0
    assert value(before, "imagestreams_scheduled_tags_due", registry=host) == 2.0
    assert value(before, "imagestreams_scheduled_tags_overdue", registry=host) == 2.0
    assert value(before, "imagestreams_scheduled_check_lag_seconds", registry=host) >= 3600

    with django_capture_on_commit_callbacks(execute=True):
        tasks.scheduled_sweep()  # hands the due tags to a worker (eager here)
    after = scrape(client)
    assert value(after, "imagestreams_scheduled_tags_due", registry=host) == 0.0
    assert value(after, "imagestreams_scheduled_check_lag_seconds", registry=host) == 0.0
    checks = "imagestreams_scheduled_checks_total"
    assert grown(before, after, checks, registry=host, result="changed")
    duration = "imagestreams_scheduled_check_duration_seconds"
    assert grown(before, after, f"{duration}_count", registry=host) == 2.0
    assert grown(before, after, f"{duration}_bucket", registry=host, le="+Inf") == 2.0


def test_deliveries_are_counted_with_their_latency(
    client, team, receiver, django_capture_on_commit_callbacks
):
    before = scrape(client)
    trigger_create(
        project=team, name="hook", stream="app", url=f"{receiver.url}/hook", by=acting_system()
    )
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        tag_set(
            project=team,
            source="quay.io/example/app:1",
            destinations=["base:1"],
            by=acting_system(),
        )
        tag_set(
            project=team,
            source="quay.io/example/app:1",
            destinations=["app:1"],
            options=TagOptions(reference=True),
            by=acting_system(),
        )
    receiver.wait_for(1)
    assert not [q["sql"] for q in queries if "metric" in q["sql"]]
    samples = scrape(client)
    attempts = "imagestreams_delivery_attempts_total"
    assert grown(before, samples, attempts, outcome="success") == 1.0
    assert grown(before, samples, "imagestreams_deliveries_total", result="succeeded") == 1.0
    assert grown(before, samples, "imagestreams_delivery_latency_seconds_count") == 1.0
    assert value(samples, "imagestreams_deliveries_unfinished", status="pending") == 0.0
    assert value(samples, "imagestreams_delivery_queue_lag_seconds") == 0.0


def test_waiting_deliveries_show_as_queue_lag(client, team, settings):
    from triggers.models import Delivery, Trigger

    trigger = Trigger.objects.create(project=team, name="t", stream="app", url="http://x/")
    Delivery.objects.create(trigger=trigger, next_attempt_at=timezone.now() - timedelta(minutes=5))
    samples = scrape(client)
    assert value(samples, "imagestreams_deliveries_unfinished", status="pending") == 1.0
    assert value(samples, "imagestreams_delivery_queue_lag_seconds") >= 300


def test_a_metrics_token_is_required_when_set(client, settings, db):
    settings.METRICS_TOKEN = "scrape-me"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert allowed.status_code == 200
    assert b"imagestreams_imports_pending" in allowed.content


def test_counters_of_every_process_of_the_machine_add_up(client, db, tmp_path, monkeypatch):
    # Workers record in their own processes; with a multiprocess directory
    # the web process answering /metrics adds up what they all counted.
    record = (
        "from imagestreams.operations.metrics import Batch, IMPORTS\n"
        "batch = Batch()\n"
        "batch.count(IMPORTS, registry='r.example', result='Success', cause='scheduled')\n"
        "batch.save()\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], env=env, check=True, timeout=120)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    labels = {"registry": "r.example", "result": "Success", "cause": "scheduled"}
    assert value(samples, "imagestreams_imports_total", **labels) == 2.0
    assert value(samples, "imagestreams_imports_pending") == 0.0  # gauges still answer


def test_no_counter_is_kept_in_the_database():
    # Counters shared in a row made every import, batch of checks and
    # delivery attempt UPDATE the same few rows (scheduling.test_checks counts
    # a batch's writes; the imports above write no metrics statement).
    assert not [m for m in apps.get_models() if "metric" in m._meta.db_table]
    assert not [t for t in connection.introspection.table_names() if "metric" in t]


def test_a_worker_only_machine_serves_its_counters(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = (
        "from imagestreams.operations.metrics import Batch, DELIVERY_ATTEMPTS\n"
        "batch = Batch()\n"
        "batch.count(DELIVERY_ATTEMPTS, outcome='retry')\n"
        "batch.save()\n"
    )
    subprocess.run([sys.executable, "-c", record], env=env, check=True, timeout=120)
    command = [sys.executable, "manage.py", "serve_metrics", "--address", "127.0.0.1"]
    command += ["--port", "0"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        address = server.stdout.readline().split()[-1]
        body = httpx.get(address, timeout=30).text
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert 'imagestreams_delivery_attempts_total{outcome="retry"} 1.0' in body
    assert "imagestreams_imports_pending" not in body  # gauges stay on /metrics


def test_serve_metrics_needs_the_multiprocess_directory(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(CommandError, match="PROMETHEUS_MULTIPROC_DIR"):
        call_command("serve_metrics")
