"""Two tags of one repository change at the same moment: both changes land,
each as its own commit, whichever worker pushes first."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from imagestreams.access import acting_system
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.registry_lab.net import PATIENCE
from tests.triggers.gitremote import over_https_and_ssh
from tests.triggers.outbox import fan_out
from triggers.models import Delivery, DeliveryStatus
from triggers.services.deliveries import delivery_send
from triggers.services.triggers import trigger_create

# The test plays the workers: what its own process queues is lost, not run.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_lost")]

DIGEST_1 = "sha256:" + "1" * 64
DIGEST_2 = "sha256:" + "2" * 64
MANIFEST = """\
prod:
  image: old/app:1 # {"$imagestream": "team/app:prod"}
staging:
  image: old/app:1 # {"$imagestream": "team/app:staging"}
"""


def deliver_together(delivery_ids: list[int]) -> None:
    """Each delivery sent by its own worker thread, all released at once."""
    barrier = threading.Barrier(len(delivery_ids))
    errors: list[BaseException] = []

    def send(delivery_id: int) -> None:
        try:
            barrier.wait()
            delivery_send(delivery_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(pk,)) for pk in delivery_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert not any(thread.is_alive() for thread in threads), "a worker never finished"
    assert errors == []


@pytest.fixture
def marker_write_back(team, git_server, remote):
    """`marker_write_back(tag="")`: MANIFEST in the repository, a trigger writing
    back its markers (for app:<tag>, or every tag of app), and team/base:1 and
    base:2 on DIGEST_1 and DIGEST_2."""

    def make(*, tag: str = "") -> None:
        git_server.create({"app.yaml": MANIFEST})
        updates = [{"file": "app.yaml", "type": "marker"}]
        trigger_create(
            project=team,
            name="gitops",
            stream="app",
            tag=tag,
            preset="git",
            **remote.destination(updates=updates),
            by=acting_system(),
        )
        base = StreamFactory(project=team, name="base")
        for name, digest in (("1", DIGEST_1), ("2", DIGEST_2)):
            image = ImageFactory(digest=digest)
            TagEventFactory(tag=TagFactory(stream=base, name=name), image=image)

    return make


@over_https_and_ssh
def test_two_tags_moving_at_once_make_two_commits_and_lose_nothing(
    team, git_server, marker_write_back
):
    marker_write_back()
    tag_set(project=team, source="base:1", destinations=["app:prod"], by=acting_system())
    tag_set(project=team, source="base:2", destinations=["app:staging"], by=acting_system())
    fan_out()  # the send tasks it queues are never run: the threads are the workers

    deliver_together(list(Delivery.objects.values_list("pk", flat=True)))

    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    assert sorted(git_server.log()[:2]) == [
        f"Deploy team/app:prod at {DIGEST_1}",
        f"Deploy team/app:staging at {DIGEST_2}",
    ]
    assert len(git_server.log()) == 3
    assert git_server.read("app.yaml").decode() == MANIFEST.replace(
        'old/app:1 # {"$imagestream": "team/app:prod"}',
        f'quay.io/example/app@{DIGEST_1} # {{"$imagestream": "team/app:prod"}}',
    ).replace(
        'old/app:1 # {"$imagestream": "team/app:staging"}',
        f'quay.io/example/app@{DIGEST_2} # {{"$imagestream": "team/app:staging"}}',
    )
    # Each commit changes its own line only.
    assert len(git_server.changed_lines("main")) == len(git_server.changed_lines("main~1")) == 2


def test_a_change_overtaken_while_it_is_being_written_is_not_pushed(
    team, git_server, marker_write_back
):
    marker_write_back(tag="prod")
    tag_set(project=team, source="base:1", destinations=["app:prod"], by=acting_system())
    fan_out()
    [older] = Delivery.objects.all()

    def rolled_forward_meanwhile() -> None:
        tag_set(project=team, source="base:2", destinations=["app:prod"], by=acting_system())
        connection.close()  # this runs in the Git server's thread

    git_server.before_fetch = rolled_forward_meanwhile
    attempt = delivery_send(older.pk)
    fan_out()
    delivery_send(Delivery.objects.exclude(pk=older.pk).get().pk)

    assert attempt is not None and attempt.commit == ""
    assert attempt.response_body.startswith("not written: the tag has changed again since")
    assert git_server.log() == [f"Deploy team/app:prod at {DIGEST_2}", "Initial manifests"]
