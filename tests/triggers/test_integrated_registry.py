"""End to end with real components: a Distribution registry sends its push
notifications to the live server, which creates streams and history, and
the triggers call a real local webhook receiver. Celery runs eagerly."""

from __future__ import annotations

import json

import pytest

from imagestreams.models import ImageStream, RegistryEvent, Tag
from imagestreams.registry import RegistryClient
from imagestreams.registry.netguard import Guard
from imagestreams.registry.reference import ImageReference
from imagestreams.tasks import integrated_registry_reconcile_task
from tests.registry_lab.net import wait_until
from tests.registry_lab.registry import Notifications
from triggers.models import Delivery

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.registry]
PLATFORMS = ["linux/amd64", "linux/arm64/v8"]


@pytest.fixture
def integrated(live_server, registry_factory, settings, team):
    """`integrated()` starts a registry paired with the live server."""

    def start(authorization: str = "Bearer notify-secret"):
        url = f"{live_server.url}/hooks/registry"
        registry = registry_factory(notifications=Notifications(url, authorization))
        settings.INTEGRATED_REGISTRY_URL = registry.url
        settings.INTERNAL_REGISTRY_HOSTNAME = registry.host
        settings.REGISTRY_NOTIFICATION_SECRET = "notify-secret"
        return registry

    return start


def payloads(requests) -> list[dict]:
    return [json.loads(request.body) for request in requests]


def test_a_push_creates_the_stream_and_fires_its_trigger_once(
    integrated, pusher, make_trigger, receiver
):
    make_trigger(stream="app")  # before the stream exists
    registry = integrated()
    client = pusher(registry)
    pushed = client.push_image("team/app", "1", text="first")
    # The registry notifies in order, so the marker's webhook comes after any
    # re-send of the first push's notification.
    client.push_image("team/app", "marker", text="marker")

    first, marker = payloads(receiver.wait_for(2))
    assert (first["tag"], first["cause"], first["digest"]) == ("1", "push", pushed.digest)
    assert first["pull_spec"] == f"{registry.host}/team/app@{pushed.digest}"
    assert first["previous_digest"] == ""
    assert marker["tag"] == "marker"
    stream = ImageStream.objects.get(project__name="team", name="app")
    event = Tag.objects.get(stream=stream, name="1").events.select_related("image").get()
    assert (event.cause, event.image.digest, event.image.managed) == ("push", pushed.digest, True)
    assert event.image.labels == {} and event.image.layers
    assert wait_until(lambda: Delivery.objects.filter(status="succeeded").count() == 2)
    assert RegistryEvent.objects.filter(status="applied").count() == 2
    assert len(receiver.requests) == 2


def test_an_index_push_creates_one_tag(integrated, pusher, make_trigger, receiver):
    make_trigger(stream="multi")
    registry = integrated()
    pushed = pusher(registry).push_image("team/multi", "1", platforms=PLATFORMS)

    [payload] = payloads(receiver.wait_for(1))
    assert payload["digest"] == pushed.digest
    [tag] = Tag.objects.filter(stream__name="multi")
    image = tag.events.get().image
    assert image.is_index
    assert sorted(m.child.digest for m in image.manifests.all()) == sorted(pushed.child_digests)
    assert RegistryEvent.objects.count() == 1  # the children were pushed without a tag


def test_receiver_failures_are_retried_and_every_attempt_is_recorded(
    integrated, pusher, make_trigger, receiver
):
    make_trigger(stream="app", tag="1")
    registry = integrated()
    receiver.answer(500)
    pushed = pusher(registry).push_image("team/app", "1")

    first, second = receiver.wait_for(2)
    assert first.headers["x-imagestreams-delivery"] == second.headers["x-imagestreams-delivery"]
    assert wait_until(lambda: Delivery.objects.filter(status="succeeded").exists())
    delivery = Delivery.objects.get()
    attempts = [(a.response_status, a.outcome) for a in delivery.attempt_log.order_by("number")]
    assert attempts == [(500, "retry"), (200, "success")]
    assert delivery.change.digest == pushed.digest


def test_pushes_lost_by_a_restarted_registry_are_repaired_by_reconciliation(
    integrated, pusher, make_trigger, receiver
):
    make_trigger(stream="app")
    # The notification is refused, so it stays queued in the registry, which
    # loses it on restart.
    registry = integrated(authorization="Bearer wrong")
    client = pusher(registry)
    lost = client.push_image("team/app", "1", text="lost")
    client.push_image("nosuch/app", "1")  # no such project: nothing to repair
    client.push_image("team/deep/path", "1")  # not <project>/<stream>
    registry.notifications = None
    registry.restart()
    assert not ImageStream.objects.filter(name="app").exists()

    assert integrated_registry_reconcile_task() == 1

    assert Tag.objects.get(stream__name="app", name="1").events.get().image.digest == lost.digest
    [payload] = payloads(receiver.wait_for(1))
    assert (payload["digest"], payload["cause"]) == (lost.digest, "push")
    assert integrated_registry_reconcile_task() == 0  # nothing differs any more

    repushed = client.push_image("team/app", "1", text="again")
    assert integrated_registry_reconcile_task() == 1
    history = Tag.objects.get(stream__name="app", name="1").events.select_related("image")
    assert [e.image.digest for e in history] == [repushed.digest, lost.digest]


def test_the_catalog_is_read_page_by_page(registry_factory, pusher):
    registry = registry_factory()
    client = pusher(registry)
    names = [f"team/app{n}" for n in range(5)]
    for name in names:
        client.push_image(name, "1")
    with RegistryClient(guard=Guard(allow_private=True)) as reader:  # loopback registry
        listed = reader.list_repositories(registry.host, insecure=True, page_size=2)
    assert listed == names  # Distribution lists repositories in lexical order


def test_the_catalog_and_deletes_ask_a_token_server_for_their_scopes(
    token_registry, pusher, unique_repo
):
    """A third-party token server (the lab's) grants `registry:catalog:*` and
    `delete` when asked for them; the client used to ask for `pull` only."""
    pushed = pusher(token_registry).push_image(unique_repo, "1")
    credentials = token_registry.credentials  # may push and delete
    with RegistryClient(
        credentials=lambda host: credentials, guard=Guard(allow_private=True)
    ) as client:
        assert unique_repo in client.list_repositories(token_registry.host, insecure=True)
        ref = ImageReference(registry=token_registry.host, path=unique_repo, digest=pushed.digest)
        assert client.delete_manifest(ref, insecure=True)
    assert pusher(token_registry).resolve(unique_repo, pushed.digest) is None
