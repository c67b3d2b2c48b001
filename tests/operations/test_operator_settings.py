"""Operator settings edited in the admin: only the image configuration
(registries allowed for import, insecure, blocked), read by every service when
it acts; every other setting comes from the environment only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.access import acting_system
from imagestreams.image_config import image_config
from imagestreams.models import AuditEvent, OperatorSettings, Tag
from imagestreams.scheduling.config import schedule_config
from imagestreams.services.errors import InvalidInput
from imagestreams.services.image_config import image_config_update
from tests.api.conftest import url

pytestmark = pytest.mark.django_db

PAGE = "/admin/imagestreams/operatorsettings/"
EMPTY_FORM = {
    "allowed_registries_for_import": "",
    "insecure_registries": "",
    "blocked_registries": "",
}


def save(operator, **values):
    """Post the settings page the way an operator does; returns the response."""
    target = f"{PAGE}1/change/" if OperatorSettings.objects.exists() else f"{PAGE}add/"
    return operator.post(target, {**EMPTY_FORM, **values}, follow=True)


def test_the_page_starts_empty_and_shows_the_environment_read_only(operator, settings):
    settings.SCHEDULED_INTERVAL = 900.0
    response = operator.get(PAGE)
    assert response.status_code == 302
    assert response.url.endswith("/operatorsettings/add/")
    page = operator.get(response.url).content.decode()
    assert "<b>IMAGESTREAMS_SCHEDULED_INTERVAL</b>: 900 s" in page
    for name in EMPTY_FORM:
        assert f'name="{name}"' in page
    for name in ("scheduled_interval", "registry_timeout", "webhook_private_addresses"):
        assert f'name="{name}"' not in page


def test_saved_values_are_what_the_services_use(operator):
    response = save(
        operator,
        insecure_registries="Registry.Local:5000\nlegacy.local",
        blocked_registries="Evil.example.com, *.bad.io:5000",
        allowed_registries_for_import="quay.io\nregistry.local:* insecure",
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/operatorsettings/1/change/")
    config = image_config()
    assert config.insecure_registries == ("registry.local:5000", "legacy.local")
    assert config.blocked_registries == ("evil.example.com", "*.bad.io:5000")
    assert [str(entry) for entry in config.allowed_registries_for_import] == [
        "quay.io",
        "registry.local:* insecure",
    ]
    event = AuditEvent.objects.get(action="operator_settings.update")
    assert event.actor == "root"
    assert event.after["blocked_registries"] == "evil.example.com\n*.bad.io:5000"


def test_a_change_is_read_at_once_by_every_process(operator_settings):
    operator_settings(insecure_registries="first.local")
    assert image_config().insecure_registries == ("first.local",)
    # Another process (a web server where an operator saved) changes the row:
    OperatorSettings.objects.update(insecure_registries="second.local")
    assert image_config().insecure_registries == ("second.local",)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("allowed_registries_for_import", "a:1:2", "too many colons"),
        ("allowed_registries_for_import", "https://quay.io", "is not a registry host"),
        ("blocked_registries", "quay.io/evil", "is not a registry host"),
        ("blocked_registries", "a:1:2", "too many colons"),
    ],
)
def test_bad_values_are_explained_and_nothing_is_saved(operator, field, value, message):
    save(operator, insecure_registries="kept.local")
    response = save(operator, **{field: value, "insecure_registries": "other.local"})
    page = response.content.decode()
    assert message in page.replace("&quot;", '"')
    assert OperatorSettings.objects.get().insecure_registries == "kept.local"


def test_the_service_refuses_settings_that_belong_to_the_environment(db):
    for name in ("scheduled_interval", "import_private_addresses", "colour"):
        with pytest.raises(InvalidInput, match=f"unknown operator settings: {name}"):
            image_config_update(changes={name: "1"}, by=acting_system())
    assert not OperatorSettings.objects.exists()


def test_the_scheduled_interval_comes_from_the_environment(settings):
    settings.SCHEDULED_INTERVAL = 30.0
    settings.SCHEDULED_MINIMUM_INTERVAL = 300.0
    settings.REGISTRY_REQUESTS_PER_SECOND = 2.5
    config = schedule_config()
    assert (config.interval, config.requests_per_second) == (300.0, 2.5)


def test_only_superusers_see_the_operator_settings(client, team, personas):
    staff = personas["admin"]
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    for page in (PAGE, "/admin/"):  # staff who are not superusers get no admin page
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_webhooks_to_private_addresses_follow_the_environment_only(
    operator, editor_api, team, settings
):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    body = {"name": "local", "stream": "app", "url": "http://10.1.2.3/hook"}
    triggers = url("projects/team/triggers")
    # A superuser cannot switch the guard off at run time: the field is not saved.
    save(operator, webhook_private_addresses="true")
    assert editor_api.post(triggers, body, format="json").status_code == 400
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    assert editor_api.post(triggers, body, format="json").status_code == 201


@pytest.mark.registry
def test_an_insecure_registry_set_at_run_time_is_reached_over_plain_http(
    operator, editor_api, team, registry, pusher, unique_repo
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="plain http")
    body = {"target": "app:1", "from": pushed.reference, "confirm": True}
    refused = editor_api.post(url("projects/team/imports"), body)
    assert refused.status_code == 400
    assert "requires the insecure flag" in refused.json()["detail"]

    save(operator, insecure_registries=registry.host)
    response = editor_api.post(url("projects/team/imports"), body)
    assert response.status_code == 200, response.content[:300]
    assert Tag.objects.get(stream__name="app", name="1").events.get().image.digest == (
        pushed.digest
    )


@pytest.mark.registry
def test_the_bulk_import_cap_comes_from_the_environment(
    settings, editor_api, team, registry, pusher, unique_repo
):
    client = pusher(registry)
    for name in ("1", "2", "3"):
        client.push_image(unique_repo, name, text=name)
    settings.MAX_IMAGES_BULK_IMPORTED = 2
    body = {
        "target": "app",
        "from": f"{registry.host}/{unique_repo}",
        "all": True,
        "confirm": True,
        "insecure": True,
    }
    response = editor_api.post(url("projects/team/imports"), body).json()
    assert len(response["statuses"]) == 2
    assert len(response["additional_tags"]) == 1


def test_a_non_staff_user_cannot_open_the_admin(client, personas):
    client.force_login(get_user_model().objects.get(username="editor"))
    assert client.get(PAGE).status_code == 302  # to the admin's login page
