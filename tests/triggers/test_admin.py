"""The admin: triggers are edited with write-only secrets; actions call services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from triggers.models import Delivery, Trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def test_a_trigger_is_added_with_an_encrypted_secret(operator, team, receiver):
    response = operator.post(
        "/admin/triggers/trigger/add/",
        {
            "project": team.pk,
            "name": "deploy",
            "stream": "app",
            "tag": "",
            "preset": "generic",
            "url": f"{receiver.url}/hook",
            "options": "{}",
            "enabled": "on",
            "secret": "s3cret",
            "token": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    trigger = Trigger.objects.get()
    assert trigger.get_secret() == "s3cret"
    assert (
        "s3cret"
        not in operator.get(f"/admin/triggers/trigger/{trigger.pk}/change/").content.decode()
    )


def test_the_admin_refuses_an_invalid_trigger(operator, team):
    response = operator.post(
        "/admin/triggers/trigger/add/",
        {"project": team.pk, "name": "gh", "stream": "app", "preset": "github", "options": "{}"},
    )
    assert response.status_code == 200
    assert "token is required for the github preset" in response.content.decode()
    assert not Trigger.objects.exists()


def test_the_send_test_action_reports_the_result(operator, make_trigger, receiver):
    trigger = make_trigger()
    receiver.answer(404)
    response = operator.post(
        "/admin/triggers/trigger/",
        {"action": "send_test", "_selected_action": [trigger.pk]},
        follow=True,
    )
    assert "the receiver answered 404" in response.content.decode()
    assert Delivery.objects.get().kind == "test"
    for page in ("triggers/delivery", "imagestreams/tagchange", "imagestreams/registryevent"):
        assert operator.get(f"/admin/{page}/").status_code == 200
