"""Triggers fire once per real change of a tag's image, whatever the cause,
through the REST API. The change is written with the history (the core's
change feed); after commit the fan-out turns it into one delivery per
trigger (the outbox), and the sweep fans out changes whose fan-out was lost."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import TagChange
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from triggers.models import Delivery, DeliveryStatus
from triggers.services.fanout import tag_changes_sweep
from triggers.tasks import tag_change_fan_out_task

pytestmark = pytest.mark.django_db

DIGEST_1 = "sha256:" + "1" * 64
DIGEST_2 = "sha256:" + "2" * 64


@pytest.fixture
def base(team):
    """team/base with tags 1 and 2 pointing at two different images."""
    stream = StreamFactory(project=team, name="base")
    for name, digest in (("1", DIGEST_1), ("2", DIGEST_2)):
        TagEventFactory(
            tag=TagFactory(stream=stream, name=name),
            image=ImageFactory(digest=digest),
        )
    return stream


@pytest.fixture
def api(editor_api, django_capture_on_commit_callbacks):
    """The editor's API client; after-commit work (sending) runs as in production."""

    class Api:
        def post(self, path: str, data: dict):
            with django_capture_on_commit_callbacks(execute=True):
                response = editor_api.post(f"/api/v1/projects/team/{path}", data, format="json")
            assert response.status_code < 300, response.json()
            return response.json()

    return Api()


def payload_of(request) -> dict:
    return json.loads(request.body)


def test_tagging_fires_the_trigger_once_with_a_signed_payload(api, base, make_trigger, receiver):
    trigger = make_trigger(stream="app", tag="1")
    api.post("tag", {"source": "base:1", "destinations": ["app:1"]})

    [request] = receiver.wait_for(1)
    payload = payload_of(request)
    delivery = Delivery.objects.get()
    assert payload == {
        "version": 1,
        "event": "image.changed",
        "delivery_id": str(delivery.uuid),
        "trigger": "hook",
        "project": "team",
        "stream": "app",
        "tag": "1",
        "digest": DIGEST_1,
        "previous_digest": "",
        "pull_spec": f"quay.io/example/app@{DIGEST_1}",
        "cause": "tag",
        "actor": "editor",
        "time": payload["time"],
        "test": False,
    }
    headers = request.headers
    assert headers["x-imagestreams-delivery"] == str(delivery.uuid)
    assert headers["x-imagestreams-event"] == "image.changed"
    signed = headers["x-imagestreams-timestamp"].encode() + b"." + request.body
    expected = hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert headers["x-imagestreams-signature"] == f"sha256={expected}"
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.trigger == trigger

    api.post("tag", {"source": "base:1", "destinations": ["app:1"]})  # no change
    assert len(receiver.requests) == 1
    assert TagChange.objects.count() == 1

    api.post("tag", {"source": "base:2", "destinations": ["app:1"]})
    second = payload_of(receiver.wait_for(2)[1])
    assert (second["previous_digest"], second["digest"]) == (DIGEST_1, DIGEST_2)


def test_alias_followers_fire_with_cause_alias(api, base, make_trigger, receiver):
    api.post("tag", {"source": "base:1", "destinations": ["app:1"]})
    api.post("tag", {"source": "app:1", "destinations": ["app:latest"], "alias": True})
    make_trigger(stream="app", tag="latest")

    api.post("tag", {"source": "base:2", "destinations": ["app:1"]})

    [request] = receiver.wait_for(1)
    payload = payload_of(request)
    assert (payload["tag"], payload["cause"]) == ("latest", "alias")
    assert (payload["previous_digest"], payload["digest"]) == (DIGEST_1, DIGEST_2)


def test_rollback_fires_the_trigger(api, base, make_trigger, receiver):
    api.post("tag", {"source": "base:1", "destinations": ["app:1"]})
    api.post("tag", {"source": "base:2", "destinations": ["app:1"]})
    make_trigger(stream="app", tag="1")

    api.post("imagestreamtags/app:1/rollback", {})

    [request] = receiver.wait_for(1)
    payload = payload_of(request)
    assert (payload["cause"], payload["digest"], payload["previous_digest"]) == (
        "rollback",
        DIGEST_1,
        DIGEST_2,
    )


def test_a_stream_wide_trigger_fires_for_each_tag_and_others_do_not(
    api, base, make_trigger, receiver
):
    make_trigger(name="every-tag", stream="app")
    make_trigger(name="other-tag", stream="app", tag="9")
    make_trigger(name="other-stream", stream="web")
    paused = make_trigger(name="paused", stream="app", enabled=False)

    api.post("tag", {"source": "base:1", "destinations": ["app:1", "app:2"]})

    requests = receiver.wait_for(2)
    assert sorted(payload_of(r)["tag"] for r in requests) == ["1", "2"]
    assert {payload_of(r)["trigger"] for r in requests} == {"every-tag"}
    assert not Delivery.objects.filter(trigger=paused).exists()
    assert Delivery.objects.count() == 2


def test_the_local_reference_policy_is_used_for_the_pull_spec(
    api, base, make_trigger, receiver, settings
):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.example.com:5000"
    make_trigger(stream="app", tag="1")
    api.post("tag", {"source": "base:1", "destinations": ["app:1"], "reference_policy": "local"})
    payload = payload_of(receiver.wait_for(1)[0])
    assert payload["pull_spec"] == f"registry.example.com:5000/team/app@{DIGEST_1}"


def test_a_change_rolled_back_with_its_transaction_is_never_announced(
    team, base, make_trigger, receiver, django_capture_on_commit_callbacks
):
    make_trigger(stream="app", tag="1")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
        assert TagChange.objects.count() == 1  # written with the history change
        raise RuntimeError("something later in the transaction failed")
    assert callbacks == []
    assert not Delivery.objects.exists()
    assert not TagChange.objects.exists()
    assert receiver.requests == []


def later() -> timezone.datetime:
    """When the sweep's patience with a change not fanned out has run out."""
    return timezone.now() + timedelta(hours=1)


def test_a_fan_out_that_crashes_midway_writes_nothing_and_the_sweep_redoes_it_once(
    team, base, make_trigger, receiver, django_capture_on_commit_callbacks
):
    make_trigger(name="first", stream="app", tag="1")
    make_trigger(name="second", stream="app")
    with django_capture_on_commit_callbacks():  # the fan-out task is lost
        tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    change = TagChange.objects.get()
    real_get_or_create = Delivery.objects.get_or_create
    calls = []

    def crash_on_the_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("the worker died while fanning out")
        return real_get_or_create(**kwargs)

    with (
        mock.patch.object(Delivery.objects, "get_or_create", side_effect=crash_on_the_second),
        pytest.raises(RuntimeError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tag_change_fan_out_task(change.pk)
    assert not Delivery.objects.exists()  # rolled back with the fan-out
    change.refresh_from_db()
    assert change.fanned_out_at is None

    assert tag_changes_sweep(now=timezone.now()) == []  # not overdue yet
    with django_capture_on_commit_callbacks(execute=True):
        assert tag_changes_sweep(now=later()) == [change.pk]

    requests = receiver.wait_for(2)
    assert sorted(payload_of(r)["trigger"] for r in requests) == ["first", "second"]
    assert Delivery.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tag_changes_sweep(now=later()) == []
    assert tag_change_fan_out_task(change.pk) is None  # a late duplicate of the task
    assert Delivery.objects.count() == 2
    assert len(receiver.requests) == 2


def test_a_late_fan_out_does_not_fire_triggers_created_after_the_change(
    team, base, make_trigger, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the fan-out task is lost
        tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    make_trigger(stream="app", tag="1")

    with django_capture_on_commit_callbacks(execute=True):
        assert tag_changes_sweep(now=later()) == [TagChange.objects.get().pk]
    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_a_change_without_triggers_is_fanned_out_to_nothing(api, base, make_trigger, receiver):
    make_trigger(stream="other")
    api.post("tag", {"source": "base:1", "destinations": ["app:1"]})

    change = TagChange.objects.get()
    assert change.fanned_out_at is not None
    assert not Delivery.objects.exists()
    assert tag_changes_sweep(now=later()) == []


@pytest.mark.registry
def test_an_import_fires_the_trigger_and_an_unchanged_reimport_does_not(
    api, registry, pusher, unique_repo, make_trigger, receiver
):
    make_trigger(stream="imported", tag="1")
    pushed = pusher(registry).push_image(unique_repo, "1")
    body = {"target": "imported:1", "from": pushed.reference, "confirm": True, "insecure": True}
    api.post("imports", body)

    payload = payload_of(receiver.wait_for(1)[0])
    assert (payload["cause"], payload["digest"]) == ("import", pushed.digest)
    assert payload["pull_spec"] == f"{registry.host}/{unique_repo}@{pushed.digest}"
    api.post("imports", {"target": "imported:1", "insecure": True})
    assert len(receiver.requests) == 1
