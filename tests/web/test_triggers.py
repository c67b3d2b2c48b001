"""Trigger pages: create, test delivery, delivery log, re-send, pause, delete."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.services.history import NewEvent, tag_add_event
from tests.factories import ImageFactory, StreamFactory, TagFactory
from tests.triggers.outbox import fan_out
from tests.web.conftest import HTMX, page_text
from triggers.models import Delivery, DeliveryStatus, Trigger
from triggers.services.deliveries import trigger_send_test
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db

LIST = "/p/team/triggers/"
PAGE = "/p/team/triggers/deploy/"


@pytest.fixture(autouse=True)
def loopback_webhooks(settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    settings.TRIGGER_RETRY_BASE_SECONDS = 0


@pytest.fixture
def trigger(project, receiver):
    return trigger_create(
        project=project,
        name="deploy",
        stream="python",
        tag="3.6",
        url=f"{receiver.url}/hook",
        by=acting_system(),
    )


def test_an_empty_list_explains_triggers(eddie, project):
    html = page_text(eddie.get(LIST))
    assert "No triggers yet" in html
    assert "Add a trigger" in html


def test_an_editor_adds_a_json_webhook(eddie, project, receiver):
    StreamFactory(project=project, name="python")
    data = {
        "name": "deploy",
        "stream": "python",
        "tag": "",
        "preset": "generic",
        "url": f"{receiver.url}/hook",
        "secret": "s3cret",
    }
    response = eddie.post(LIST, data, headers=HTMX)
    assert response["HX-Redirect"] == PAGE
    trigger = Trigger.objects.get(name="deploy")
    assert (trigger.watches, trigger.get_secret()) == ("python:*", "s3cret")
    html = page_text(eddie.get(PAGE))
    assert 'Trigger "deploy" created; it fires when python:* moves.' in html
    assert "s3cret" not in html
    assert 'option value="python"' in page_text(eddie.get(LIST))  # stream suggestions


def test_preset_options_come_from_their_own_fields(eddie, project):
    data = {
        "name": "gh",
        "stream": "python",
        "preset": "github",
        "token": "ghp_x",
        "repository": "acme/app",
        "event_type": "image-changed",
        "gitlab_project": "ignored",
        "url": "",
    }
    eddie.post(LIST, data)
    trigger = Trigger.objects.get(name="gh")
    assert trigger.options == {"repository": "acme/app", "event_type": "image-changed"}
    assert trigger.url == "https://api.github.com/repos/acme/app/dispatches"


def test_invalid_triggers_are_explained_and_not_created(eddie, project):
    data = {"name": "x", "stream": "python", "preset": "generic", "url": "ftp://nope"}
    html = page_text(eddie.post(LIST, data, headers=HTMX))
    assert html.lstrip().startswith('<form id="trigger-form"')
    assert "url must be an http:// or https:// URL" in html
    data = {"name": "gl", "stream": "python", "preset": "gitlab", "token": "t"}
    assert "option ref is required" in page_text(eddie.post(LIST, data, headers=HTMX))
    assert not Trigger.objects.exists()


def test_the_list_shows_state_and_last_delivery(eddie, trigger):
    Trigger.objects.filter(pk=trigger.pk).update(
        enabled=False, disabled_reason="5 failures in a row", last_error="HTTP 500"
    )
    html = page_text(eddie.get(LIST))
    assert "python:3.6" in html
    assert "disabled" in html and "5 failures in a row" in html


def test_a_test_delivery_reaches_the_receiver_and_is_logged(eddie, trigger, receiver):
    response = eddie.post(f"{PAGE}test", headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<section id="trigger-main"')
    assert f"Test delivery sent: 200 from {receiver.url}/hook." in html
    [request] = receiver.wait_for(1)
    assert request.path == "/hook"
    assert "Succeeded" in html
    assert "1 attempt" in html
    assert "Re-send" not in html  # a test is not re-sent; a new test is sent instead


def test_a_failed_test_delivery_says_why(eddie, trigger, receiver):
    receiver.answer(500)
    html = page_text(eddie.post(f"{PAGE}test", headers=HTMX))
    assert "Test delivery failed: HTTP 500" in html


def test_a_finished_delivery_is_re_sent(
    eddie, trigger, project, django_capture_on_commit_callbacks
):
    tag = TagFactory(stream__project=project, stream__name="python", name="3.6")
    with django_capture_on_commit_callbacks():  # the import's change is fanned out
        tag_add_event(tag, NewEvent("quay.io/x/y@sha256:1", ImageFactory(), 1, "import"))
        fan_out()
    delivery = Delivery.objects.get(trigger=trigger)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, error="HTTP 502")
    html = page_text(eddie.get(PAGE))
    assert "Re-send" in html
    assert "python:3.6" in html
    with django_capture_on_commit_callbacks() as queued:
        response = eddie.post(f"{PAGE}deliveries/{delivery.uuid}/resend", headers=HTMX)
    assert f"Delivery {delivery.uuid} queued to be sent again." in page_text(response)
    assert 'hx-trigger="every 2s' in response.content.decode()  # polls until sent
    assert len(queued) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_a_trigger_is_paused_and_enabled_again(eddie, trigger):
    html = page_text(eddie.post(f"{PAGE}enabled", {}, headers=HTMX))
    assert 'Trigger "deploy" paused.' in html
    trigger.refresh_from_db()
    assert trigger.paused
    eddie.post(f"{PAGE}enabled", {"enabled": "on"})
    trigger.refresh_from_db()
    assert trigger.enabled


def test_deleting_asks_first_without_javascript(eddie, trigger):
    assert "Delete trigger deploy?" in page_text(eddie.get(f"{PAGE}delete"))
    response = eddie.post(f"{PAGE}delete", headers=HTMX)
    assert response["HX-Redirect"] == LIST
    assert not Trigger.objects.exists()


def test_viewers_neither_see_nor_change_triggers(as_user, project, receiver):
    """Trigger URLs often carry secrets (a Slack or GitLab token in the URL)
    and delivery logs repeat them: viewers get neither, as in the API."""
    secret_url = f"{receiver.url}/hook?token=s3cr3t-in-the-url"
    trigger = trigger_create(
        project=project, name="deploy", stream="python", url=secret_url, by=acting_system()
    )
    assert trigger_send_test(trigger=trigger).succeeded  # a delivery in the log
    assert "Triggers" in page_text(as_user("eddie").get("/p/team/"))
    vera = as_user("vera")
    assert "Triggers" not in page_text(vera.get("/p/team/"))
    for page in (LIST, PAGE):
        response = vera.get(page)
        assert response.status_code == 403
        assert "s3cr3t-in-the-url" not in page_text(response)
    for action in ("test", "enabled", "delete"):
        assert vera.post(f"{PAGE}{action}").status_code == 403
    data = {"name": "x", "stream": "python", "preset": "generic", "url": "https://example.com"}
    assert vera.post(LIST, data).status_code == 403
    assert Trigger.objects.get().enabled


def test_outsiders_get_not_found(charlie, trigger):
    assert charlie.get(LIST).status_code == 404
    assert charlie.get(PAGE).status_code == 404
    assert charlie.post(f"{PAGE}test").status_code == 404


def test_an_unknown_trigger_or_delivery_is_not_found(eddie, trigger):
    assert eddie.get("/p/team/triggers/nope/").status_code == 404
    assert eddie.post(f"{PAGE}deliveries/not-a-uuid/resend").status_code == 404
