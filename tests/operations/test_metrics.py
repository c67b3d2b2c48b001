"""/metrics: counters recorded by imports, scheduled checks and deliveries
(in the database, so every process answers for all), and gauges of waiting
work, scraped as Prometheus does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from imagestreams import tasks
from imagestreams.access import SYSTEM
from imagestreams.models import Tag
from imagestreams.services.tagging import TagOptions, tag_set
from tests.api.conftest import url
from tests.triggers.receiver import Receiver
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db


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


@pytest.mark.registry
def test_imports_are_counted_by_registry_result_and_cause(
    client, editor_api, team, registry, pusher, unique_repo
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="metrics")
    imports = url("projects/team/imports")
    for target in ("app:1", "other:1"):
        body = {"target": target, "from": pushed.reference, "confirm": True, "insecure": True}
        assert editor_api.post(imports, body).status_code == 200
    missing = f"{registry.host}/{unique_repo}:nope"
    body = {"target": "app:2", "from": missing, "insecure": True}
    assert editor_api.post(imports, body).json()["failed"]

    samples = scrape(client)
    labels = {"registry": registry.host, "cause": "import"}
    assert value(samples, "imagestreams_imports_total", result="Success", **labels) == 2.0
    assert value(samples, "imagestreams_imports_total", result="Failure", **labels) == 1.0


@pytest.mark.registry
def test_scheduled_checks_are_counted_timed_and_their_backlog_shown(
    client, team, registry, pusher, unique_repo, eager_celery, django_capture_on_commit_callbacks
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="scheduled")
    for name in ("a", "b", "c"):
        options = TagOptions(scheduled=True, insecure=True)
        tag_set(
            project=team,
            source=pushed.reference,
            destinations=[f"{name}:1"],
            options=options,
            user=SYSTEM,
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
    assert value(after, "imagestreams_scheduled_checks_total", registry=host, result="changed")
    duration_count = value(
        after, "imagestreams_scheduled_check_duration_seconds_count", registry=host
    )
    assert duration_count == 2.0
    infinite = value(
        after, "imagestreams_scheduled_check_duration_seconds_bucket", registry=host, le="+Inf"
    )
    assert infinite == 2.0


def test_deliveries_are_counted_with_their_latency(
    client, team, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    receiver = Receiver().start()
    try:
        trigger_create(project=team, name="hook", stream="app", url=f"{receiver.url}/hook")
        with django_capture_on_commit_callbacks(execute=True):
            tag_set(
                project=team, source="quay.io/example/app:1", destinations=["base:1"], user=SYSTEM
            )
            tag_set(
                project=team,
                source="quay.io/example/app:1",
                destinations=["app:1"],
                options=TagOptions(reference=True),
                user=SYSTEM,
            )
        receiver.wait_for(1)
    finally:
        receiver.stop()
    samples = scrape(client)
    assert value(samples, "imagestreams_delivery_attempts_total", outcome="success") == 1.0
    assert value(samples, "imagestreams_deliveries_total", result="succeeded") == 1.0
    assert value(samples, "imagestreams_delivery_latency_seconds_count") == 1.0
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
