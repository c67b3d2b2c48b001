"""Operator settings edited in the admin at run time: what every service then
uses, with the environment's values as defaults."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams import policy
from imagestreams.models import AuditEvent, OperatorSettings, Tag
from imagestreams.operations import runtime
from imagestreams.scheduling.config import schedule_config
from tests.api.conftest import url

pytestmark = pytest.mark.django_db

PAGE = "/admin/imagestreams/operatorsettings/"
EMPTY_FORM = {
    "allowed_registries_for_import": "",
    "insecure_registries": "",
    "scheduled_interval": "",
    "scheduled_minimum_interval": "",
    "registry_max_concurrency": "",
    "registry_requests_per_second": "",
    "registry_timeout": "",
    "max_images_bulk_imported": "",
    "default_import_mode": "",
    "import_private_addresses": "",
    "webhook_private_addresses": "",
}


def save(operator, **values):
    """Post the settings page the way an operator does; returns the response."""
    target = f"{PAGE}1/change/" if OperatorSettings.objects.exists() else f"{PAGE}add/"
    return operator.post(target, {**EMPTY_FORM, **values}, follow=True)


def test_the_page_starts_empty_and_shows_the_environment_defaults(operator, settings):
    settings.SCHEDULED_INTERVAL = 900.0
    response = operator.get(PAGE)
    assert response.status_code == 302
    assert response.url.endswith("/operatorsettings/add/")
    page = operator.get(response.url).content.decode()
    assert "Empty: the environment&#x27;s value (900 seconds)." in page
    assert "Empty: the environment&#x27;s value (any registry)." in page


def test_saved_values_are_what_the_services_use(operator, settings):
    settings.SCHEDULED_INTERVAL = 900.0
    settings.SCHEDULED_MINIMUM_INTERVAL = 60.0
    response = save(
        operator,
        scheduled_interval="120",
        registry_requests_per_second="2.5",
        insecure_registries="Registry.Local:5000\nlegacy.local",
        default_import_mode="PreserveOriginal",
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/operatorsettings/1/change/")
    config = schedule_config()
    assert (config.interval, config.requests_per_second) == (120.0, 2.5)
    assert policy.insecure_registries() == ["registry.local:5000", "legacy.local"]
    assert policy.default_import_mode() == "PreserveOriginal"
    assert policy.registry_timeout() == settings.REGISTRY_TIMEOUT  # left empty
    page = response.content.decode()
    assert "<b>scheduled interval</b>: 120 seconds" in page
    event = AuditEvent.objects.get(action="operator_settings.update")
    assert event.actor == "root"
    assert event.after["scheduled_interval"] == 120


def test_the_minimum_interval_wins_over_a_shorter_interval(operator):
    save(operator, scheduled_interval="30", scheduled_minimum_interval="300")
    assert policy.scheduled_interval() == 300.0


def test_clearing_a_value_goes_back_to_the_environment(operator, settings):
    save(operator, max_images_bulk_imported="7")
    assert policy.max_images_bulk_imported() == 7
    save(operator, max_images_bulk_imported="")
    assert policy.max_images_bulk_imported() == settings.MAX_IMAGES_BULK_IMPORTED


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("allowed_registries_for_import", "a:1:2", "too many colons"),
        ("allowed_registries_for_import", "https://quay.io", "is not a registry host"),
        ("scheduled_minimum_interval", "0", "must be at least 1"),
        ("registry_requests_per_second", "0", "must be at least 0.01"),
        ("max_images_bulk_imported", "-5", "must be -1 (no limit) or more"),
    ],
)
def test_bad_values_are_explained_and_nothing_is_saved(operator, field, value, message):
    save(operator, scheduled_interval="120")
    response = save(operator, **{field: value, "scheduled_interval": "600"})
    page = response.content.decode()
    assert message in page.replace("&quot;", '"')
    assert OperatorSettings.objects.get().scheduled_interval == 120


def test_other_processes_see_a_change_after_the_cache_time(operator_settings, settings):
    settings.OPERATOR_SETTINGS_CACHE_SECONDS = 3600
    operator_settings(registry_timeout=5)
    assert policy.registry_timeout() == 5.0
    # Another process (a web server where an operator saved) changes the row:
    OperatorSettings.objects.update(registry_timeout=7)
    assert policy.registry_timeout() == 5.0  # this process still has its copy
    settings.OPERATOR_SETTINGS_CACHE_SECONDS = 0
    assert policy.registry_timeout() == 7.0


def test_only_superusers_see_the_operator_settings(client, team, personas):
    staff = personas["admin"]
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    for page in (PAGE, "/admin/"):  # staff who are not superusers get no admin page
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_webhooks_to_private_addresses_follow_the_operator_setting(
    operator, editor_api, team, settings
):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    body = {"name": "local", "stream": "app", "url": "http://10.1.2.3/hook"}
    triggers = url("projects/team/triggers")
    assert editor_api.post(triggers, body, format="json").status_code == 400
    save(operator, webhook_private_addresses="true")
    assert editor_api.post(triggers, body, format="json").status_code == 201
    save(operator, webhook_private_addresses="false")
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True  # the operator's "refused" wins
    again = editor_api.post(triggers, {**body, "name": "again"}, format="json")
    assert again.status_code == 400


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
def test_the_bulk_import_cap_is_read_at_run_time(
    operator, editor_api, team, registry, pusher, unique_repo
):
    client = pusher(registry)
    for name in ("1", "2", "3"):
        client.push_image(unique_repo, name, text=name)
    save(operator, max_images_bulk_imported="2")
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


def test_the_service_refuses_unknown_settings(db):
    with pytest.raises(runtime.InvalidInput):
        runtime.operator_settings_update(changes={"colour": "blue"})


def test_a_non_staff_user_cannot_open_the_admin(client, personas):
    client.force_login(get_user_model().objects.get(username="editor"))
    assert client.get(PAGE).status_code == 302  # to the admin's login page
