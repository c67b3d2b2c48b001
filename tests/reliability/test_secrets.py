"""Secrets (registry credentials, webhook secrets and tokens, API tokens,
passwords) are stored encrypted or hashed, never returned by the API or
shown after saving, and never logged: every log line of a run that uses
them all, at DEBUG level and including httpx's, is searched for them."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from imagestreams.access import acting_system
from imagestreams.models import ApiToken, AuditEvent, RegistryCredential
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.personas import PASSWORD
from tests.triggers.outbox import fan_out
from triggers.models import Trigger
from triggers.tasks import delivery_send_task

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

WRONG_REGISTRY_PASSWORD = "wrong-registry-password-7Qx"
WEBHOOK_SECRET = "webhook-secret-4Fv"
WEBHOOK_TOKEN = "webhook-token-9Kd"
GUESSED_PASSWORD = "guessed-password-2Lm"


@pytest.fixture(autouse=True)
def immediate_retries(settings):
    settings.TRIGGER_RETRY_BASE_SECONDS = 0


def test_secrets_are_never_returned_nor_logged(
    caplog, personas, team, admin_api, basic_registry, pusher, unique_repo, receiver
):
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []  # every body the API and the pages sent back
    pusher(basic_registry).push_image(unique_repo, "1")
    web = Client()
    web.force_login(personas["admin"])

    def save_credentials(password: str) -> None:
        page = web.post(
            "/p/team/credentials/",
            {
                "registry": basic_registry.host,
                "username": basic_registry.username,
                "password": password,
            },
        )
        assert page.status_code in (200, 302)
        answers.append(web.get("/p/team/credentials/").content.decode())

    def import_tag(name: str):
        body = {"target": f"app:{name}", "from": f"{basic_registry.host}/{unique_repo}:1"}
        response = admin_api.post(
            "/api/v1/projects/team/imports",
            body | {"confirm": True, "insecure": True},
            format="json",
        )
        answers.append(response.content.decode())
        return response

    # Registry credentials: saved through the page, used by an import, then wrong.
    save_credentials(basic_registry.password)
    assert import_tag("1").status_code in (200, 201)
    save_credentials(WRONG_REGISTRY_PASSWORD)
    failed = import_tag("2")
    assert "incorrect username or password" in failed.content.decode()

    # A trigger with a secret and a token: created, read back, delivered.
    created = admin_api.post(
        "/api/v1/projects/team/triggers",
        {
            "name": "deploy",
            "stream": "app",
            "tag": "1",
            "url": f"{receiver.url}/hook",
            "secret": WEBHOOK_SECRET,
            "token": WEBHOOK_TOKEN,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    answers.append(created.content.decode())
    answers.append(admin_api.get("/api/v1/projects/team/triggers/deploy").content.decode())
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory())
    tag_set(project=team, source="base:1", destinations=["app:1"], by=acting_system())
    fan_out()
    delivery = Trigger.objects.get(name="deploy").deliveries.get()
    receiver.answer(500)
    assert delivery_send_task(delivery.pk) == "retry"
    assert delivery_send_task(delivery.pk) == "success"
    assert receiver.requests[-1].headers["authorization"] == f"Bearer {WEBHOOK_TOKEN}"
    answers.append(
        admin_api.get("/api/v1/projects/team/triggers/deploy/deliveries").content.decode()
    )

    # An API token: shown once at creation, then only its prefix.
    issued = admin_api.post("/api/v1/tokens", {"name": "ci"}, format="json").json()
    api_token = issued["token"]
    answers.append(admin_api.get("/api/v1/tokens").content.decode())
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert token_client.get("/api/v1/whoami").status_code == 200
    assert (
        Client().post("/login/", {"username": "admin", "password": GUESSED_PASSWORD}).status_code
        == 200
    )

    secrets = {
        "registry password": basic_registry.password,
        "wrong registry password": WRONG_REGISTRY_PASSWORD,
        "webhook secret": WEBHOOK_SECRET,
        "webhook token": WEBHOOK_TOKEN,
        "API token": api_token,
        "user password": PASSWORD,
        "guessed password": GUESSED_PASSWORD,
    }
    logged = caplog.text
    assert "incorrect username or password" in logged  # the failure itself is logged
    stored = _stored_text()
    for what, secret in secrets.items():
        assert secret not in logged, f"the {what} was logged"
        for body in answers:
            assert secret not in body, f"the {what} was sent back: {body[:300]}"
        assert secret not in stored, f"the {what} is stored in clear"
    assert "bearer_token" not in logged.lower() and "authorization: basic" not in logged.lower()
    assert issued["prefix"] in answers[-1]  # the listing names tokens by their prefix


def _stored_text() -> str:
    """Every column of the tables that hold secrets, and the audit log."""
    rows = [
        *RegistryCredential.objects.values(),
        *Trigger.objects.values(),
        *ApiToken.objects.values(),
        *AuditEvent.objects.values("before", "after", "target"),
    ]
    return json.dumps(rows, default=str)
