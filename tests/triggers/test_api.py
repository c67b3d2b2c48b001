"""The triggers REST API, with the personas' real bearer tokens."""

from __future__ import annotations

import json

import pytest

from imagestreams import crypto
from imagestreams.access import acting_system
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from triggers.models import Delivery, Trigger

pytestmark = pytest.mark.django_db

TRIGGERS = "/api/v1/projects/team/triggers"


@pytest.fixture
def hook(editor_api, receiver) -> dict:
    response = editor_api.post(
        TRIGGERS,
        {
            "name": "deploy",
            "stream": "app",
            "tag": "1",
            "url": f"{receiver.url}/hook",
            "secret": "s3cret",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def sent_delivery(team, hook, django_capture_on_commit_callbacks) -> Delivery:
    """A delivery of a real change of team/app:1, already sent."""
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())
    with django_capture_on_commit_callbacks(execute=True):
        tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    return Delivery.objects.get()


def test_it_creates_a_trigger_and_never_shows_its_secrets(hook, editor_api):
    assert hook["name"] == "deploy"
    assert (hook["stream"], hook["tag"], hook["preset"]) == ("app", "1", "generic")
    assert (hook["has_secret"], hook["has_token"], hook["enabled"]) == (True, False, True)
    assert "secret" not in hook and "token" not in hook
    stored = Trigger.objects.get()
    assert "s3cret" not in stored.secret_encrypted
    assert crypto.decrypt(stored.secret_encrypted) == "s3cret"
    listed = editor_api.get(TRIGGERS).json()
    assert [t["name"] for t in listed["results"]] == ["deploy"]


def test_it_requires_the_edit_right(hook, viewer_api):
    for response in (
        viewer_api.get(TRIGGERS),
        viewer_api.get(f"{TRIGGERS}/deploy"),
        viewer_api.post(TRIGGERS, {"name": "x", "stream": "app", "url": "http://x"}, format="json"),
        viewer_api.delete(f"{TRIGGERS}/deploy"),
        viewer_api.post(f"{TRIGGERS}/deploy/test"),
        viewer_api.get(f"{TRIGGERS}/deploy/deliveries"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert "may not see or manage triggers" in response.json()["detail"]


def test_it_hides_from_outsiders(hook, outsider_api, anonymous_api):
    assert outsider_api.get(f"{TRIGGERS}/deploy").status_code == 404
    assert outsider_api.get(TRIGGERS).json()["detail"] == 'project "team" not found'
    assert anonymous_api.get(TRIGGERS).status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Bad_Name", "stream": "app", "url": "http://x"}, "name", "invalid trigger name"),
        ({"name": "a", "stream": "App", "url": "http://x"}, "stream", "invalid image stream name"),
        ({"name": "a", "stream": "app", "tag": "-x", "url": "http://x"}, "tag", "invalid tag"),
        ({"name": "a", "stream": "app"}, "url", "url is required for a JSON webhook"),
        ({"name": "a", "stream": "app", "url": "ftp://x"}, "url", "http:// or https://"),
        ({"name": "a", "stream": "app", "url": "http://u:p@x"}, "url", "must not contain"),
        ({"name": "a", "stream": "app", "preset": "github"}, "token", "token is required"),
        (
            {
                "name": "a",
                "stream": "app",
                "preset": "github",
                "token": "t",
                "options": {"repository": "nope"},
            },
            "options",
            'repository must be "owner/name"',
        ),
        (
            {
                "name": "a",
                "stream": "app",
                "preset": "gitlab",
                "token": "t",
                "options": {"project": "1"},
            },
            "options",
            "option ref is required",
        ),
        (
            {"name": "a", "stream": "app", "url": "http://x", "options": {"ref": "main"}},
            "options",
            "unknown option(s) for the generic preset: ref",
        ),
        ({"name": "a", "stream": "app", "url": "http://x", "colour": 1}, "colour", "unknown field"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(editor_api, team, body, field, message):
    response = editor_api.post(TRIGGERS, body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    assert not Trigger.objects.exists()


def test_internal_addresses_are_refused_by_default(editor_api, team, settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    body = {"name": "a", "stream": "app", "url": "http://169.254.169.254/latest"}
    response = editor_api.post(TRIGGERS, body, format="json")
    assert response.status_code == 400
    assert "internal address 169.254.169.254" in response.json()["detail"]


def test_names_are_unique_per_project(hook, editor_api):
    again = {"name": "deploy", "stream": "web", "url": "http://example.com/"}
    response = editor_api.post(TRIGGERS, again, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


def test_it_pauses_and_reenables_a_disabled_trigger(hook, editor_api):
    paused = editor_api.patch(f"{TRIGGERS}/deploy", {"enabled": False}, format="json").json()
    assert (paused["enabled"], paused["paused"], paused["disabled_reason"]) == (False, True, "")
    Trigger.objects.update(
        disabled_reason="Disabled after 5 failed deliveries", consecutive_failures=5
    )
    enabled = editor_api.patch(f"{TRIGGERS}/deploy", {"enabled": True}, format="json").json()
    assert (enabled["enabled"], enabled["disabled_reason"], enabled["consecutive_failures"]) == (
        True,
        "",
        0,
    )


def test_it_updates_and_deletes(hook, editor_api):
    changed = editor_api.patch(f"{TRIGGERS}/deploy", {"tag": ""}, format="json").json()
    assert changed["tag"] == ""
    assert editor_api.delete(f"{TRIGGERS}/deploy").status_code == 204
    assert editor_api.get(f"{TRIGGERS}/deploy").status_code == 404


def test_a_test_delivery_is_sent_at_once_without_retries(hook, editor_api, receiver):
    receiver.answer(503)
    response = editor_api.post(f"{TRIGGERS}/deploy/test")
    assert response.status_code == 200
    result = response.json()
    assert result["succeeded"] is False
    assert result["delivery"]["kind"] == "test"
    assert result["delivery"]["status"] == "failed"
    [attempt] = result["delivery"]["attempt_log"]
    assert (attempt["response_status"], attempt["outcome"]) == (503, "failure")
    [request] = receiver.requests
    payload = json.loads(request.body)
    assert (payload["event"], payload["test"], payload["stream"]) == ("test", True, "app")
    assert request.headers["x-imagestreams-event"] == "test"
    assert Trigger.objects.get().consecutive_failures == 0  # tests do not count

    assert editor_api.post(f"{TRIGGERS}/deploy/test").json()["succeeded"] is True


def test_deliveries_are_listed_with_their_attempts_and_can_be_resent(
    sent_delivery, editor_api, receiver, django_capture_on_commit_callbacks
):
    listed = editor_api.get(f"{TRIGGERS}/deploy/deliveries").json()["results"]
    [delivery] = listed
    assert delivery["id"] == str(sent_delivery.uuid)
    assert delivery["status"] == "succeeded"
    assert delivery["change"]["digest"] == sent_delivery.change.digest
    assert [a["number"] for a in delivery["attempt_log"]] == [1]

    with django_capture_on_commit_callbacks(execute=True):
        resent = editor_api.post(f"{TRIGGERS}/deploy/deliveries/{sent_delivery.uuid}/resend")
    assert resent.status_code == 202
    detail = editor_api.get(f"{TRIGGERS}/deploy/deliveries/{sent_delivery.uuid}").json()
    assert detail["status"] == "succeeded"
    assert [a["number"] for a in detail["attempt_log"]] == [1, 2]
    first, second = receiver.wait_for(2)
    assert first.headers["x-imagestreams-delivery"] == second.headers["x-imagestreams-delivery"]


def test_a_delivery_being_sent_cannot_be_resent(sent_delivery, editor_api):
    Delivery.objects.update(status="retrying")
    response = editor_api.post(f"{TRIGGERS}/deploy/deliveries/{sent_delivery.uuid}/resend")
    assert response.status_code == 409
    assert "is still being sent" in response.json()["detail"]
    assert editor_api.get(f"{TRIGGERS}/deploy/deliveries/nope").status_code == 404
