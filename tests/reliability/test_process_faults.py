"""Process faults with real Redis, Celery workers, beat and PostgreSQL: Redis
crashing with work queued, workers SIGKILLed in the middle of an import and
of a delivery, beat restarted, database connections dropped. Work resumes by
itself; every change has exactly one history entry and exactly one delivery,
sent at least once (the receiver deduplicates by delivery id).

This test process's own broker is in memory, so what it enqueues is lost, as
if the web process died right after committing: beat's reconciliation and
sweeps are what find the work, as they would after any lost message.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import Tag, TagEvent
from imagestreams.services.tagging import TagOptions, tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.processes import FAST_LOOPS, Processes, eventually_stable, require_postgres, running
from tests.registry_lab.net import PATIENCE
from tests.reliability.faults import FaultProxy
from tests.triggers.receiver import Answer, Receiver
from triggers.models import Delivery, DeliveryStatus
from triggers.services.triggers import trigger_create

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(tmp_path, db):
    """Workers and beat on a private redis-server, started by each test."""
    require_postgres("worker and beat processes share the test database")
    with running(tmp_path, **FAST_LOOPS) as processes:
        processes.start_redis()
        yield processes


@pytest.fixture
def watched(team, receiver):
    """A trigger on every tag of stream "app", and a stream "base" to copy from."""
    trigger_create(
        project=team, name="deploy", stream="app", url=f"{receiver.url}/hook", by=acting_system()
    )
    base = StreamFactory(project=team, name="base")
    for name in ("1", "2"):
        TagEventFactory(tag=TagFactory(stream=base, name=name), image=ImageFactory())
    return team


def drop_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(cursor.fetchall())


def histories() -> dict[str, list[str]]:
    tags = Tag.objects.filter(stream__name="app").order_by("name")
    return {
        tag.name: list(tag.events.order_by("-id").values_list("image__digest", flat=True))
        for tag in tags
    }


def claimed() -> bool:
    return Tag.objects.filter(stream__name="app").exclude(check_claim="").exists()


def all_due() -> bool:
    """Every scheduled tag of the watched stream is due for a check."""
    tags = Tag.objects.filter(stream__name="app", scheduled=True)
    return tags.exists() and not tags.filter(next_check_at__gt=timezone.now()).exists()


def delivered(receiver: Receiver) -> bool:
    """Every delivery row succeeded, and the receiver saw each of them."""
    rows = list(Delivery.objects.values_list("uuid", "status"))
    seen = {r.headers["x-imagestreams-delivery"] for r in receiver.requests}
    return bool(rows) and all(
        status == DeliveryStatus.SUCCEEDED and str(uuid) in seen for uuid, status in rows
    )


def assert_exactly_once(cluster: Processes, receiver: Receiver) -> None:
    """One delivery row per history entry of the watched stream; the receiver,
    deduplicating by delivery id, saw exactly those."""
    state = eventually_stable(
        cluster,
        lambda: (
            TagEvent.objects.filter(tag__stream__name="app").count(),
            Delivery.objects.count(),
            sorted(str(u) for u in Delivery.objects.values_list("uuid", flat=True)),
        ),
    )
    events, rows, ids = state
    assert events == rows
    assert {r.headers["x-imagestreams-delivery"] for r in receiver.requests} == set(ids)


def test_work_queued_in_redis_survives_a_redis_crash(
    cluster, watched, receiver, registry, pusher, unique_repo
):
    client = pusher(registry)
    images = [client.push_image(unique_repo, str(n), text=str(n)) for n in range(3)]
    cluster.beat()
    for n, image in enumerate(images):
        tag_set(
            project=watched,
            source=image.reference,
            destinations=[f"app:{n}"],
            options=TagOptions(insecure=True),
            by=acting_system(),
        )
    tag_set(
        project=watched, source="base:1", destinations=["app:copy"], by=acting_system()
    )  # a delivery now
    cluster.wait_for(
        lambda: cluster.redis.queued(cluster.queue) >= 4, "beat to queue imports and the delivery"
    )

    beat_log = cluster.log("beat")
    before = len(beat_log.read_text())
    cluster.redis.stop()  # everything queued is gone (no persistence)
    cluster.wait_for(  # beat keeps running without its broker
        lambda: "Couldn't apply scheduled task" in beat_log.read_text()[before:],
        "beat to miss its broker",
    )
    cluster.redis.start()  # same port, empty
    cluster.worker("worker-1")
    cluster.worker("worker-2")

    wanted = {str(n): [image.digest] for n, image in enumerate(images)}
    cluster.wait_for(
        lambda: {k: v for k, v in histories().items() if k != "copy"} == wanted,
        "every import to be done",
    )
    cluster.wait_for(lambda: Delivery.objects.count() == 4 and delivered(receiver), "deliveries")
    assert_exactly_once(cluster, receiver)
    assert len(histories()["copy"]) == 1


def test_a_worker_killed_in_the_middle_of_an_import(
    cluster, watched, receiver, registry, pusher, unique_repo
):
    pushed = pusher(registry).push_image(unique_repo, "1")
    proxy = FaultProxy(registry.url).start()
    try:
        proxy.hold_heads()  # the import stops at its first registry answer
        cluster.beat()
        cluster.worker("worker-1")
        tag_set(
            project=watched,
            source=f"{proxy.host}/{unique_repo}:1",
            destinations=["app:1"],
            options=TagOptions(insecure=True),
            by=acting_system(),
        )
        assert proxy.heads_held.acquire(timeout=PATIENCE), cluster.logs()
        cluster.kill("worker-1")  # mid-import, its task unacknowledged
        proxy.release()
        cluster.worker("worker-2")
        cluster.wait_for(lambda: histories() == {"1": [pushed.digest]}, "another worker's import")
        cluster.wait_for(lambda: delivered(receiver), "the delivery")
        assert_exactly_once(cluster, receiver)
        assert histories() == {"1": [pushed.digest]}
    finally:
        proxy.close()


def test_a_worker_killed_in_the_middle_of_a_delivery(cluster, watched, receiver):
    receiver.answer(Answer(200, hold=True))  # the first send hangs in the receiver
    cluster.beat()
    cluster.worker("worker-1")
    tag_set(project=watched, source="base:1", destinations=["app:1"], by=acting_system())
    receiver.wait_for(1)
    cluster.kill("worker-1")  # after sending, before recording the answer
    cluster.worker("worker-2")
    cluster.wait_for(lambda: delivered(receiver) and len(receiver.requests) >= 2, "a re-send")
    assert_exactly_once(cluster, receiver)
    delivery = Delivery.objects.get()
    ids = [r.headers["x-imagestreams-delivery"] for r in receiver.requests]
    assert ids == [str(delivery.uuid)] * len(ids)  # sent again under the same id


def test_beat_restarted_forgets_no_scheduled_tag_and_checks_none_twice(
    cluster, watched, receiver, registry, pusher, unique_repo
):
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    for n in range(3):
        tag_set(
            project=watched,
            source=first.reference,
            destinations=[f"app:{n}"],
            options=TagOptions(insecure=True, scheduled=True),
            by=acting_system(),
        )
    cluster.beat()
    cluster.worker("worker-1")
    cluster.wait_for(lambda: histories() == {str(n): [first.digest] for n in range(3)}, "imports")

    cluster.kill("beat")  # batches it had already handed out still run
    cluster.wait_for(lambda: not claimed(), "the batches beat had handed out")
    second = client.push_image(unique_repo, "1", text="two")
    cluster.wait_for(all_due, "every tag to fall due while beat is down")
    cluster.beat()
    cluster.wait_for(
        lambda: histories() == {str(n): [second.digest, first.digest] for n in range(3)},
        "the re-push after beat came back",
    )
    cluster.wait_for(lambda: Delivery.objects.count() == 6 and delivered(receiver), "deliveries")
    assert_exactly_once(cluster, receiver)


def test_dropped_database_connections_are_reopened(
    cluster, watched, receiver, registry, pusher, unique_repo
):
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    cluster.beat()
    cluster.worker("worker-1")
    tag_set(
        project=watched,
        source=first.reference,
        destinations=["app:1"],
        options=TagOptions(insecure=True),
        by=acting_system(),
    )
    cluster.wait_for(lambda: histories() == {"1": [first.digest]}, "the first import")

    # Every other session on this test database: a worker holds one between
    # its tasks (beat's reconciliation runs every second), so wait for it.
    cluster.wait_for(lambda: drop_other_connections() > 0, "a worker connection to drop")
    second = client.push_image(unique_repo, "2", text="two")
    tag_set(
        project=watched,
        source=second.reference,
        destinations=["app:2"],
        options=TagOptions(insecure=True),
        by=acting_system(),
    )
    tag_set(project=watched, source="base:2", destinations=["app:copy"], by=acting_system())
    cluster.wait_for(
        lambda: (
            histories()
            == {"1": [first.digest], "2": [second.digest], "copy": [histories()["copy"][0]]}
            if "copy" in histories()
            else False
        ),
        "work after the connections were dropped",
    )
    cluster.wait_for(lambda: Delivery.objects.count() == 3 and delivered(receiver), "deliveries")
    assert_exactly_once(cluster, receiver)


def test_a_worker_keeps_its_database_session_from_task_to_task(tmp_path, db):
    """Celery alone would close the connection around every task: a new
    PostgreSQL session (a backend process) per task. Connections now live as
    long as CONN_MAX_AGE, as in the web processes."""
    require_postgres("the worker's sessions are PostgreSQL backends")
    with running(tmp_path, DATABASE_CONN_MAX_AGE="3600", **FAST_LOOPS) as cluster:
        cluster.start_redis()
        cluster.beat()  # its loops send the worker a task every second or so
        cluster.worker("worker-1")
        log = cluster.log("worker-1")

        def tasks_done() -> int:
            return log.read_text().count(" succeeded in ")

        cluster.wait_for(lambda: tasks_done() >= 3, "the worker's first tasks")
        cluster.wait_for(other_sessions, "the worker's session")
        sessions = other_sessions()
        done = tasks_done()
        cluster.wait_for(lambda: tasks_done() >= done + 10, "ten more tasks")
        assert other_sessions() == sessions


def other_sessions() -> set[int]:
    """Backend pids of the sessions on this database other than this test's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}
