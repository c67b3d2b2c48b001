"""Secrets never reach the audit log: API tokens (of users and of service
accounts), registry credential passwords, trigger secrets and tokens."""

from __future__ import annotations

import json
import re

import pytest

from imagestreams.models import AuditEvent

pytestmark = pytest.mark.django_db
BASE = "/api/v1/projects/team"
PASSWORD = "registry-password-9f3k"
TRIGGER_SECRET = "hmac-secret-7d2q"
TRIGGER_TOKEN = "glptt-token-5x8w"
NEW_SECRET = "hmac-secret-rotated-1a1a"


def everything_recorded() -> str:
    """Every audit entry as text, the way an export would show it."""
    rows = AuditEvent.objects.values("actor", "action", "target", "before", "after")
    return json.dumps(list(rows), default=str)


def test_no_secret_is_ever_recorded(api_for, web_as, personas, team, python, settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    admin = api_for(personas["admin"])
    secrets = []

    user_token = admin.post("/api/v1/tokens", {"name": "laptop"}, format="json").json()
    secrets.append(user_token["token"])
    admin.post(f"{BASE}/serviceaccounts", {"name": "ci"}, format="json")
    account_token = admin.post(f"{BASE}/serviceaccounts/ci/tokens", {"name": "p"}, format="json")
    secrets.append(account_token.json()["token"])

    browser = web_as(personas["admin"])
    page = browser.post("/p/team/serviceaccounts/ci/tokens", {"name": "from-the-web"})
    [shown_once] = set(re.findall(r"isk_[A-Za-z0-9_-]{20,}", page.content.decode()))
    secrets.append(shown_once)
    browser.post(
        "/p/team/credentials/",
        {"registry": "registry.example.com", "username": "robot", "password": PASSWORD},
    )
    secrets.append(PASSWORD)

    trigger = {
        "name": "deploy",
        "stream": "python",
        "preset": "gitlab",
        "url": "https://gitlab.example.com/api/v4/projects/1/trigger/pipeline",
        "options": {"ref": "main"},
        "secret": TRIGGER_SECRET,
        "token": TRIGGER_TOKEN,
    }
    created = admin.post(f"{BASE}/triggers", trigger, format="json")
    assert created.status_code == 201, created.content
    changed = admin.patch(f"{BASE}/triggers/deploy", {"secret": NEW_SECRET}, format="json")
    assert changed.status_code == 200, changed.content
    secrets += [TRIGGER_SECRET, TRIGGER_TOKEN, NEW_SECRET]

    recorded = everything_recorded()
    for action in ("token.create", "credential.set", "trigger.create", "trigger.update"):
        assert action in recorded  # the changes are there...
    web_token_page = browser.get("/p/team/serviceaccounts/ci/").content.decode()
    for secret in secrets:
        assert secret not in recorded  # ...their secrets are not
        assert secret not in web_token_page
    export = admin.get(f"{BASE}/audit/export", {"format": "jsonl"})
    exported = b"".join(export.streaming_content).decode()
    assert "credential.set" in exported
    assert not any(secret in exported for secret in secrets)
