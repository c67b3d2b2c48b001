"""Editing a trigger on the web keeps its delivery log (issue 16)."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from tests.web.conftest import HTMX, page_text
from triggers.models import Delivery, DeliveryKind, Preset, Trigger
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db

EDIT = "/p/team/triggers/deploy/edit"


@pytest.fixture(autouse=True)
def loopback_webhooks(settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def trigger(project):
    made = trigger_create(
        project=project,
        name="deploy",
        stream="python",
        tag="3.6",
        url="https://hooks.example.com/typo",
        secret="s3cret",
        by=acting_system(),
    )
    Delivery.objects.create(trigger=made, kind=DeliveryKind.TEST)
    return made


def form(**changes) -> dict:
    data = {"stream": "python", "tag": "3.6", "preset": Preset.GENERIC, "url": ""}
    data["url"] = "https://hooks.example.com/typo"
    return data | changes


def test_the_form_shows_the_trigger_and_never_its_secret(eddie, trigger):
    html = page_text(eddie.get(EDIT))
    assert 'value="https://hooks.example.com/typo"' in html
    assert 'value="python"' in html
    assert "s3cret" not in html
    assert "Empty: keep the current one" in html
    assert "Remove the secret" in html
    page = page_text(eddie.get("/p/team/triggers/deploy/"))
    assert 'href="/p/team/triggers/deploy/edit"' in page


def test_a_url_typo_is_fixed_and_the_delivery_log_and_secret_are_kept(eddie, trigger):
    response = eddie.post(EDIT, form(url="https://hooks.example.com/deploy"))
    assert response.status_code == 302
    assert response["Location"] == "/p/team/triggers/deploy/"
    trigger.refresh_from_db()
    assert trigger.url == "https://hooks.example.com/deploy"
    assert trigger.get_secret() == "s3cret"
    assert Delivery.objects.filter(trigger=trigger).count() == 1


def test_the_secret_is_replaced_or_removed(eddie, trigger):
    eddie.post(EDIT, form(secret="n3w"))
    trigger.refresh_from_db()
    assert trigger.get_secret() == "n3w"
    eddie.post(EDIT, form(clear_secret="on"))
    trigger.refresh_from_db()
    assert trigger.get_secret() == ""


def test_another_preset_and_watch_are_saved(eddie, trigger):
    data = form(
        tag="",
        preset=Preset.GITHUB,
        url="",
        token="ghp_x",
        repository="acme/app",
        event_type="image-changed",
    )
    assert eddie.post(EDIT, data).status_code == 302
    trigger.refresh_from_db()
    assert (trigger.preset, trigger.watches) == (Preset.GITHUB, "python:*")
    assert trigger.url == "https://api.github.com/repos/acme/app/dispatches"
    assert trigger.options == {"repository": "acme/app", "event_type": "image-changed"}
    # The options change: the URL built from them follows unless one is given.
    eddie.post(EDIT, form(tag="", preset=Preset.GITHUB, url=trigger.url, repository="acme/web"))
    trigger.refresh_from_db()
    assert trigger.url == "https://api.github.com/repos/acme/web/dispatches"
    assert trigger.get_token() == "ghp_x"


def test_invalid_input_is_explained_and_nothing_changes(eddie, trigger):
    response = eddie.post(EDIT, form(url="ftp://x"), headers=HTMX)
    html = page_text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="trigger-edit-form"')
    assert "url must be an http:// or https:// URL" in html
    assert Trigger.objects.get(pk=trigger.pk).url == "https://hooks.example.com/typo"


@pytest.mark.parametrize(("who", "status"), [("vera", 403), ("charlie", 404)])
def test_only_those_with_the_triggers_right_edit(as_user, trigger, who, status):
    client = as_user(who)
    assert client.get(EDIT).status_code == status
    assert client.post(EDIT, form(url="https://evil.example.com/")).status_code == status
    assert Trigger.objects.get(pk=trigger.pk).url == "https://hooks.example.com/typo"
