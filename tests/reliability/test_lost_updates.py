"""Rows that several processes write: a person's change through the API never
undoes what a worker wrote between the service reading the row and writing it.

Each test makes the worker's write happen exactly in that window (it runs when
the service reaches a step that follows its read), then checks that both the
person's change and the worker's write are there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import Tag
from tests.api.conftest import url
from tests.factories import StreamFactory, TagFactory
from triggers.models import Trigger
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db

SOON = timezone.now() + timedelta(hours=1)


@contextlib.contextmanager
def worker_writes_during(target: str, write: Callable[[], None]) -> Iterator[list[bool]]:
    """Patch `target` (a function the service calls after reading the row) so
    that `write` runs just before it, once; yields a list that says it ran."""
    ran: list[bool] = []
    original = mock.patch(target).get_original()[0]

    def interleaved(*args, **kwargs):
        if not ran:
            write()
            ran.append(True)
        return original(*args, **kwargs)

    with mock.patch(target, side_effect=interleaved):
        yield ran


def sweep_claims(tag: Tag) -> Callable[[], None]:
    """What the scheduled sweep writes to a tag, without the stream lock."""
    return lambda: Tag.objects.filter(pk=tag.pk).update(check_claim="claim-1", next_check_at=SOON)


def assert_claim_kept(tag: Tag) -> None:
    tag.refresh_from_db()
    assert (tag.check_claim, tag.next_check_at) == ("claim-1", SOON)


def test_editing_a_trigger_keeps_the_workers_decision_to_disable_it(editor_api, team):
    trigger = trigger_create(
        project=team,
        name="deploy",
        stream="app",
        url="https://hooks.example.com/a",
        by=acting_system(),
    )
    reason = "Disabled after 5 failed deliveries in a row."

    def worker_disables() -> None:
        Trigger.objects.filter(pk=trigger.pk).update(
            enabled=False, disabled_reason=reason, consecutive_failures=5
        )

    with worker_writes_during("triggers.services.triggers.validate_spec", worker_disables) as ran:
        response = editor_api.patch(
            url("projects/team/triggers/deploy"),
            {"url": "https://hooks.example.com/b"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert ran, "the service did not reach the point where the worker writes"
    assert response.json()["enabled"] is False
    trigger.refresh_from_db()
    assert trigger.url == "https://hooks.example.com/b"
    assert (trigger.enabled, trigger.disabled_reason, trigger.consecutive_failures) == (
        False,
        reason,
        5,
    )


def test_enabling_a_trigger_again_is_the_persons_decision(editor_api, team):
    trigger = trigger_create(
        project=team, name="deploy", stream="app", url="https://h.example/", by=acting_system()
    )
    with worker_writes_during(
        "triggers.services.triggers.validate_spec",
        lambda: Trigger.objects.filter(pk=trigger.pk).update(
            enabled=False, disabled_reason="Disabled.", consecutive_failures=5
        ),
    ) as ran:
        response = editor_api.patch(
            url("projects/team/triggers/deploy"), {"enabled": True}, format="json"
        )
    assert response.status_code == 200, response.content
    assert ran, "the service did not reach the point where the worker writes"
    trigger.refresh_from_db()
    assert (trigger.enabled, trigger.disabled_reason, trigger.consecutive_failures) == (
        True,
        "",
        0,
    )


def test_oc_tag_keeps_the_sweeps_claim(editor_api, team, django_capture_on_commit_callbacks):
    tag = TagFactory(stream=StreamFactory(project=team, name="app"), name="1", scheduled=True)
    with worker_writes_during(
        "imagestreams.services.tagging.stream_bump_generation", sweep_claims(tag)
    ) as ran:
        response = editor_api.post(
            url("projects/team/tag"),
            {"source": "quay.io/example/app:2", "destinations": ["app:1"], "scheduled": True},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert ran, "the service did not reach the point where the worker writes"
    assert_claim_kept(tag)
    assert tag.from_name == "quay.io/example/app:2"


@pytest.mark.registry
def test_import_image_keeps_the_sweeps_claim(editor_api, team, registry, pusher, unique_repo):
    pushed = pusher(registry).push_image(unique_repo, "2")
    stream = StreamFactory(project=team, name="app")
    tag = TagFactory(stream=stream, name="1", from_name=pushed.reference, scheduled=True)
    with worker_writes_during(
        "imagestreams.services.streams.stream_bump_generation", sweep_claims(tag)
    ) as ran:
        response = editor_api.post(
            url("projects/team/imports"),
            # A new import mode is a spec change, as in OpenShift.
            {"target": "app:1", "import_mode": "PreserveOriginal", "insecure": True},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert ran, "the service did not reach the point where the worker writes"
    assert_claim_kept(tag)
    assert tag.events.get().image.digest == pushed.digest


@pytest.mark.registry
def test_a_tag_policy_keeps_the_sweeps_claim(editor_api, team, registry, pusher, unique_repo):
    client = pusher(registry)
    for version in ("1.0.0", "1.2.0"):
        client.push_image(unique_repo, version, text=version)
    repository = f"{registry.host}/{unique_repo}"
    stream = StreamFactory(project=team, name="app")
    tag = TagFactory(stream=stream, name="1", from_name=f"{repository}:1.0.0", insecure=True)
    with worker_writes_during(
        "imagestreams.scheduling.services.stream_bump_generation", sweep_claims(tag)
    ) as ran:
        response = editor_api.put(
            url("projects/team/imagestreamtags/app:1/policy"),
            {"policy": {"kind": "semver", "range": ">=1.0.0"}},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert ran, "the service did not reach the point where the worker writes"
    assert_claim_kept(tag)
    assert tag.from_name == f"{repository}:1.2.0"
