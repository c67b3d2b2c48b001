"""The notification endpoint, posted to with the Django test client; the
pushed manifests are real (read back from a real registry)."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from imagestreams.models import ImageStream, RegistryEvent, Tag
from imagestreams.services.registry_events import registry_events_sweep
from tests.triggers.events import event
from tests.triggers.events import notify as post_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrated(registry, settings, team):
    """The shared test registry as the integrated registry."""
    settings.INTEGRATED_REGISTRY_URL = registry.url
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.example.com"
    settings.REGISTRY_NOTIFICATION_SECRET = "notify-secret"
    return registry


@pytest.fixture
def notify(client, django_capture_on_commit_callbacks):
    """Post like the registry does; the work queued after commit runs (eagerly)."""

    def post(*events, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return post_events(client, *events, **options)

    return post


def history(stream: str, tag: str) -> list[tuple[str, str]]:
    tag = Tag.objects.get(stream__project__name="team", stream__name=stream, name=tag)
    return [(e.image.digest, e.cause) for e in tag.events.select_related("image")]


def test_a_push_event_becomes_history_and_duplicates_are_ignored(
    notify, integrated, pusher, make_trigger, receiver
):
    repository = "team/dedupe"
    make_trigger(stream="dedupe")
    pushed = pusher(integrated).push_image(repository, "1", text="one")
    push = event(repository=repository, tag="1", digest=pushed.digest, actor="ci")

    first = notify(push)
    again = notify(push)

    assert (first.status_code, first.json()) == (
        200,
        {"accepted": 1, "duplicates": 0, "ignored": 0},
    )
    assert again.json() == {"accepted": 0, "duplicates": 1, "ignored": 0}
    assert history("dedupe", "1") == [(pushed.digest, "push")]
    tag = Tag.objects.get(name="1", stream__name="dedupe")
    assert not tag.has_spec
    head = tag.events.get()
    assert head.docker_image_reference == f"registry.example.com/{repository}@{pushed.digest}"
    assert (head.actor, head.image.managed) == ("ci", True)
    assert RegistryEvent.objects.get().status == "applied"
    [request] = receiver.wait_for(1)
    assert b'"cause":"push"' in request.body


def test_pushes_applied_out_of_order_keep_the_newest_image(notify, integrated, pusher):
    repository = "team/order"
    registry_client = pusher(integrated)
    older = registry_client.push_image(repository, "1", text="older")
    newer = registry_client.push_image(repository, "1", text="newer")
    now = datetime.now(UTC)

    def at(moment):
        return moment.isoformat().replace("+00:00", "Z")

    notify(event(repository=repository, digest=newer.digest, timestamp=at(now)))
    notify(
        event(repository=repository, digest=older.digest, timestamp=at(now - timedelta(seconds=1))),
    )

    assert history("order", "1") == [(newer.digest, "push")]
    assert RegistryEvent.objects.order_by("id").last().message == (
        "a newer push of this tag was applied"
    )


def test_a_push_to_an_unknown_project_is_ignored_and_logged(notify, integrated, caplog):
    with caplog.at_level(logging.WARNING, logger="triggers"):
        response = notify(event(repository="nosuch/app"))
    assert response.status_code == 200
    assert RegistryEvent.objects.get().status == "ignored"
    assert 'project "nosuch" does not exist' in caplog.text
    assert not ImageStream.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        event("pull"),
        event("delete", tag=None, media_type=None),
        event("mount", tag=None, media_type="application/octet-stream"),
        event(tag=None, media_type="application/octet-stream"),  # a blob
        event(tag=None),  # a child manifest of an index, pushed by digest
        event(digest="not-a-digest"),
    ],
)
def test_events_other_than_tagged_manifest_pushes_are_ignored(notify, integrated, raw):
    response = notify(raw)
    assert response.json() == {"accepted": 0, "duplicates": 0, "ignored": 1}
    assert not RegistryEvent.objects.exists()


def test_it_needs_the_shared_secret(client, notify, integrated):
    assert notify(event(), secret="wrong").status_code == 401
    response = client.post("/hooks/registry", data=b"{}", content_type="application/json")
    assert response.status_code == 401
    assert not RegistryEvent.objects.exists()


def test_it_explains_bad_requests(client, notify, integrated):
    assert notify(event(), content_type="text/plain").status_code == 415
    bad_json = client.post(
        "/hooks/registry",
        data=b"{",
        content_type="application/json",
        headers={"Authorization": "Bearer notify-secret"},
    )
    assert (bad_json.status_code, bad_json.json()) == (
        400,
        {"detail": "the body is not valid JSON"},
    )
    no_events = client.post(
        "/hooks/registry",
        data=b'{"events": 3}',
        content_type="application/json",
        headers={"Authorization": "Bearer notify-secret"},
    )
    assert no_events.json() == {"detail": 'the body must be an object with an "events" list'}
    assert client.get("/hooks/registry").status_code == 405


def test_without_a_configured_secret_the_endpoint_does_not_exist(notify, db, settings):
    settings.REGISTRY_NOTIFICATION_SECRET = ""
    assert notify(event(), secret="").status_code == 404


def test_an_unreadable_manifest_is_kept_for_later_or_failed(notify, integrated, settings):
    notify(event(repository="team/app", digest="sha256:" + "e" * 64))
    missing = RegistryEvent.objects.get()
    assert missing.status == "failed"  # the registry does not have it: trying again won't help
    assert "cannot read the pushed manifest" in missing.message

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.INTEGRATED_REGISTRY_URL = f"http://127.0.0.1:{sock.getsockname()[1]}"
    notify(event(repository="team/app", tag="2"))
    unreachable = RegistryEvent.objects.get(tag="2")
    assert (unreachable.status, unreachable.attempts) == ("pending", 1)  # for the sweep
    assert "cannot reach the registry" in unreachable.message
    assert not ImageStream.objects.exists()


def test_the_sweep_processes_events_left_behind(
    integrated, pusher, settings, django_capture_on_commit_callbacks
):
    settings.REGISTRY_EVENTS_REQUEUE_AFTER_SECONDS = 60
    pushed = pusher(integrated).push_image("team/swept", "1")
    long_ago = timezone.now() - timedelta(minutes=30)
    lost = RegistryEvent.objects.create(
        event_id="lost",
        repository="team/swept",
        tag="1",
        digest=pushed.digest,
        media_type=pushed.media_type,
        timestamp=long_ago,
        received=long_ago,
    )
    interrupted = RegistryEvent.objects.create(
        event_id="interrupted",
        repository="team/swept",
        tag="2",
        digest=pushed.digest,
        media_type=pushed.media_type,
        timestamp=long_ago,
        received=long_ago,
        status="processing",
        claimed_at=long_ago,
    )
    recent = RegistryEvent.objects.create(
        event_id="recent",
        repository="team/swept",
        tag="3",
        digest=pushed.digest,
        media_type=pushed.media_type,
        timestamp=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeued = registry_events_sweep()

    assert sorted(requeued) == sorted([lost.pk, interrupted.pk])
    assert history("swept", "1") == [(pushed.digest, "push")]
    assert history("swept", "2") == [(pushed.digest, "push")]
    recent.refresh_from_db()
    assert recent.status == "pending"
