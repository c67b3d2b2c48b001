"""Concurrent workers: one change is recorded once, fanned out once, and one
delivery is sent once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from imagestreams.access import acting_system
from imagestreams.models import TagChange
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.registry_lab.net import PATIENCE
from tests.triggers.outbox import fan_out
from tests.triggers.receiver import Answer
from triggers.models import Delivery
from triggers.services.deliveries import delivery_send
from triggers.tasks import tag_change_fan_out_task

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(work, count: int = 2) -> list[BaseException]:
    """Run `work` in `count` threads released at the same moment; their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # the losing writer may be refused by the database
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert not any(thread.is_alive() for thread in threads), "a worker never finished"
    return errors


def test_two_workers_sending_one_delivery_send_it_once(team, make_trigger, receiver):
    make_trigger(stream="app", tag="1")
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())
    tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    fan_out()  # the send task it queues is never run
    delivery = Delivery.objects.get()
    receiver.answer(Answer(200, delay=0.5))

    assert run_together(lambda: delivery_send(delivery.pk)) == []
    assert len(receiver.requests) == 1
    assert delivery.attempt_log.count() == 1


def test_two_workers_applying_the_same_change_record_it_once(team, make_trigger, receiver):
    make_trigger(stream="app", tag="1")
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())

    run_together(
        lambda: tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    )
    fan_out()

    assert TagChange.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_workers_fanning_out_one_change_together_write_one_delivery_per_trigger(
    team, make_trigger, receiver
):
    make_trigger(name="one", stream="app", tag="1")
    make_trigger(name="every-tag", stream="app")
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())
    tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    change = TagChange.objects.get()

    # The fan-out task queued on commit, a duplicate of it and the sweep's.
    assert run_together(lambda: tag_change_fan_out_task(change.pk), count=3) == []

    assert sorted(Delivery.objects.values_list("trigger__name", flat=True)) == ["every-tag", "one"]
    change.refresh_from_db()
    assert change.fanned_out_at is not None
    assert tag_change_fan_out_task(change.pk) is None
