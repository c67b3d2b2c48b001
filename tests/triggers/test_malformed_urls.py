"""Trigger URLs the HTTP client cannot use and IP literals in disguise are
refused when saved, with a clear 400; those saved before that fail at once,
without retries (they used to stay "sending" and be re-queued for ever)."""

from __future__ import annotations

import pytest

from triggers.models import DeliveryStatus, Trigger
from triggers.tasks import delivery_send_task

pytestmark = pytest.mark.django_db

TRIGGERS = "/api/v1/projects/team/triggers"
# httpx refuses these hosts on every request (InvalidURL).
UNUSABLE = ["http://0177.0.0.1/hook", "http://127.000.000.001:8080/hook", "http://256.0.0.1/"]


def saved_before_checks(make_trigger, url: str) -> Trigger:
    """A trigger saved before its URL was checked (as the database may hold)."""
    trigger = make_trigger(stream="app", tag="1")
    Trigger.objects.filter(pk=trigger.pk).update(url=url)
    return Trigger.objects.get(pk=trigger.pk)


@pytest.mark.parametrize("url", UNUSABLE)
def test_urls_the_http_client_refuses_are_refused_when_saved(editor_api, team, url):
    body = {"name": "hook", "stream": "app", "url": url}
    response = editor_api.post(TRIGGERS, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "url"
    assert "url has an invalid host" in response.json()["detail"]
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.1/hook", "127.0.0.1"),
        ("http://2130706433/hook", "127.0.0.1"),
        ("http://0x7f000001/hook", "127.0.0.1"),
        ("http://0xa9.0xfe.0xa9.0xfe/latest", "169.254.169.254"),
        ("http://10.1/hook", "10.0.0.1"),
        ("http://[::ffff:7f00:1]/hook", "::ffff:7f00:1"),
    ],
)
def test_ip_literals_in_any_form_are_checked_when_saved(editor_api, team, settings, url, address):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    body = {"name": "hook", "stream": "app", "url": url}
    response = editor_api.post(TRIGGERS, body, format="json")
    assert response.status_code == 400, response.content
    assert f"internal address {address}" in response.json()["detail"]
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/hook", "http://LOCALHOST./", "http://a.localhost/"]
)
def test_localhost_is_refused_when_saved(editor_api, team, settings, url):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    response = editor_api.post(
        TRIGGERS, {"name": "hook", "stream": "app", "url": url}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "this machine" in response.json()["detail"]


def test_the_operator_may_allow_them(editor_api, team, settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    for name, url in [("a", "http://127.1/hook"), ("b", "http://localhost:8080/hook")]:
        body = {"name": name, "stream": "app", "url": url}
        assert editor_api.post(TRIGGERS, body, format="json").status_code == 201


def test_public_literals_and_names_are_accepted(editor_api, team, settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    for name, url in [("a", "http://8.8.8.8/hook"), ("b", "https://hooks.example.com/x")]:
        body = {"name": name, "stream": "app", "url": url}
        assert editor_api.post(TRIGGERS, body, format="json").status_code == 201


def test_a_test_delivery_to_an_unusable_url_fails_at_once(editor_api, make_trigger):
    saved_before_checks(make_trigger, UNUSABLE[0])
    response = editor_api.post(f"{TRIGGERS}/hook/test")
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["succeeded"] is False
    assert result["delivery"]["status"] == DeliveryStatus.FAILED  # not "sending" for ever
    assert "invalid url" in result["delivery"]["error"]


def test_a_change_to_an_unusable_url_fails_once_and_is_not_retried(make_trigger, change):
    saved_before_checks(make_trigger, UNUSABLE[0])
    [delivery] = change()
    assert delivery_send_task(delivery.pk) == "failure"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "invalid url" in delivery.error
    assert delivery.attempt_log.count() == 1
