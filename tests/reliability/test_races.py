"""Races: two workers importing one tag at the same moment, a push webhook
arriving while a scheduled check of the same tag is in flight, and an edit
from the UI crossing one from the API. Nothing is written twice, nothing is
lost, and the loser of a conflicting edit is told."""

from __future__ import annotations

import functools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.hooks.signatures import generic_signature
from imagestreams.models import ImageStream, Tag
from imagestreams.services.imports import tag_import
from imagestreams.services.tagging import TagOptions, tag_set
from tests.registry_lab.net import PATIENCE
from tests.reliability.conftest import INTERVAL, deliveries, history, run_due_at
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.registry


def in_thread(function, *args):
    """Run in a thread with its own database connection, closed afterwards."""

    def run():
        try:
            return function(*args)
        finally:
            close_old_connections()
            connection.close()

    return run


@pytest.fixture
def concurrent_db(db, tasks_lost):
    """The test plays the workers itself: what it queues is not run."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the race is between real concurrent transactions "
            "(bash .ci/test runs it); SQLite serialises all writers"
        )


@pytest.mark.django_db(transaction=True)
def test_two_workers_importing_one_tag_at_once_write_one_entry(
    concurrent_db, fault_proxy, registry, pusher, unique_repo, team
):
    pushed = pusher(registry).push_image(unique_repo, "1")
    [result] = tag_set(
        project=team,
        source=f"{fault_proxy.host}/{unique_repo}:1",
        destinations=["app:1"],
        options=TagOptions(insecure=True),
        by=acting_system(),
    )
    trigger_create(
        project=team,
        name="deploy",
        stream="app",
        tag="1",
        url="https://receiver.invalid/hook",
        by=acting_system(),
    )
    fault_proxy.meet(2)  # both fetches reach the registry together
    with ThreadPoolExecutor(2) as threads:
        import_as_system = functools.partial(tag_import, by=acting_system())
        statuses = list(
            threads.map(lambda _: in_thread(import_as_system, result.tag.pk)(), range(2))
        )
    assert sorted(s.status for s in statuses) == ["Success", "Unchanged"]
    tag = Tag.objects.get(pk=result.tag.pk)
    assert history(tag) == [pushed.digest]
    assert deliveries(tag) == [pushed.digest]
    assert fault_proxy.requests.count(f"HEAD /v2/{unique_repo}/manifests/1") == 2


@pytest.mark.django_db(transaction=True)
def test_a_push_webhook_during_a_scheduled_check_is_not_lost(
    concurrent_db, short_schedule, fault_proxy, registry, pusher, unique_repo, schedule
):
    """The check read the old digest just before the push; the webhook came
    while the tag was claimed. The tag must be checked again right away,
    not one interval later."""
    short_schedule.WEBHOOK_SECRET = "hook-secret"
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    tag = schedule("app:1", f"{fault_proxy.host}/{unique_repo}:1")
    run_due_at(timezone.now() + timedelta(seconds=INTERVAL))
    assert history(tag) == [first.digest]

    fault_proxy.hold_heads()
    tag.refresh_from_db()
    due = tag.next_check_at + timedelta(seconds=1)
    with ThreadPoolExecutor(1) as threads:
        check = threads.submit(in_thread(run_due_at, due))
        assert fault_proxy.heads_held.acquire(timeout=PATIENCE), (
            "the check never reached the registry"
        )
        second = client.push_image(unique_repo, "1", text="two")  # after the HEAD was answered
        body = json.dumps({"repository": f"{fault_proxy.host}/{unique_repo}", "tags": ["1"]})
        timestamp = str(int(time.time()))
        response = Client().post(
            "/hooks/generic",
            body,
            content_type="application/json",
            HTTP_X_TIMESTAMP=timestamp,
            HTTP_X_SIGNATURE=generic_signature("hook-secret", timestamp, body.encode()),
        )
        assert response.status_code == 202
        fault_proxy.release()
        check.result(timeout=PATIENCE)
    assert history(tag) == [first.digest]  # that check saw the old image

    run_due_at(timezone.now() + timedelta(seconds=1))  # the next sweep, seconds later
    assert history(tag) == [second.digest, first.digest]
    assert deliveries(tag) == [second.digest, first.digest]


@pytest.mark.django_db
def test_an_api_edit_based_on_a_stale_read_is_refused_after_a_ui_edit(
    personas, team, editor_api, django_capture_on_commit_callbacks, tasks_lost
):
    editor_api.post("/api/v1/projects/team/imagestreams", {"name": "app"}, format="json")
    read = editor_api.get("/api/v1/projects/team/imagestreams/app").json()
    generation = read["generation"]

    web = Client()
    web.force_login(personas["admin"])
    # The UI adds a tag meanwhile; its commit makes the next read fresh (the
    # import it queues is not run: the source is not reachable from tests).
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            "/p/team/is/app/tags/new",
            {
                "kind": "docker",
                "source": "quay.io/example/app:1",
                "name": "1",
                "reference_policy": "Source",
                "import_mode": "Legacy",
            },
        )
    assert Tag.objects.filter(stream__name="app", name="1").exists()

    response = editor_api.patch(
        "/api/v1/projects/team/imagestreams/app",
        {"annotations": {"owner": "api"}, "generation": generation},
        format="json",
    )
    assert response.status_code == 409
    assert "was changed meanwhile" in response.json()["detail"]
    stream = ImageStream.objects.get(name="app")
    assert stream.annotations == {}  # not silently overwritten, nor half-written
    assert stream.tags.filter(name="1").exists()

    fresh = editor_api.get("/api/v1/projects/team/imagestreams/app").json()
    retried = editor_api.patch(
        "/api/v1/projects/team/imagestreams/app",
        {"annotations": {"owner": "api"}, "generation": fresh["generation"]},
        format="json",
    )
    assert retried.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_api_edits_from_one_read_the_second_is_told(concurrent_db, team, editor_api, api_as):
    editor_api.post("/api/v1/projects/team/imagestreams", {"name": "app"}, format="json")
    generation = editor_api.get("/api/v1/projects/team/imagestreams/app").json()["generation"]
    admin_api = api_as("admin")
    start = threading.Barrier(2)

    def patch(api, owner):
        start.wait()
        return api.patch(
            "/api/v1/projects/team/imagestreams/app",
            {"annotations": {"owner": owner}, "generation": generation},
            format="json",
        ).status_code

    with ThreadPoolExecutor(2) as threads:
        codes = sorted(
            threads.map(
                lambda args: in_thread(patch, *args)(), [(editor_api, "a"), (admin_api, "b")]
            )
        )
    assert codes == [200, 409]
    assert ImageStream.objects.get(name="app").annotations["owner"] in ("a", "b")
