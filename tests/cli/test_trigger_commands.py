"""`isctl trigger …` against a live server, a real registry (whose images
move the watched tag) and a real webhook receiver."""

from __future__ import annotations

import json

import pytest

from tests.cli.live import LIVE, login, ok, steady
from tests.triggers.receiver import Receiver

pytestmark = LIVE


@pytest.fixture(autouse=True)
def immediate_retries(settings):
    settings.TRIGGER_RETRY_BASE_SECONDS = 0


@pytest.fixture
def server(live_server, team) -> str:
    return live_server.url


@pytest.fixture
def app_repo(registry, pusher, unique_repo) -> str:
    client = pusher(registry)
    for tag in ("1", "2"):
        client.push_image(unique_repo, tag, text=tag)
    return f"{registry.host}/{unique_repo}"


def created(isctl, receiver: Receiver, *flags: str) -> None:
    out = ok(
        isctl(
            "trigger", "create", "deploy", "--watch", "app:1", "--url", f"{receiver.url}/hook",
            "--secret", "-", *flags, stdin="s3cret\n",
        )
    )  # fmt: skip
    assert out == "trigger/deploy created\n"


def test_create_list_test_and_describe_with_deliveries(isctl, server, receiver, app_repo):
    login(isctl, server)
    created(isctl, receiver)
    table = ok(isctl("trigger", "list")).splitlines()
    assert table[0].split() == ["NAME", "WATCHES", "KIND", "STATE", "LAST", "DELIVERY"]
    assert table[1].split() == ["deploy", "app:1", "generic", "enabled", "<none>"]

    tested = ok(isctl("trigger", "test", "deploy"))
    assert tested.startswith("Test delivery ")
    assert tested.endswith(f" to {receiver.url}/hook: HTTP 200\n")
    [test_request] = receiver.wait_for(1)
    assert json.loads(test_request.body)["test"] is True
    assert test_request.headers["x-imagestreams-signature"]  # the secret was read from stdin

    ok(isctl("import-image", "app:1", f"--from={app_repo}:1", "--confirm", "--insecure"))
    ok(isctl("tag", f"{app_repo}:2", "app:1", "--insecure"))
    receiver.wait_for(3)

    described = steady(ok(isctl("trigger", "describe", "deploy")))
    head, _, recent = described.partition("\nRecent Deliveries:\n")
    fields = dict(line.split(":\t", 1) for line in head.splitlines())
    assert {label: value.lstrip("\t") for label, value in fields.items()} == {
        "Name": "deploy",
        "Project": "team",
        "Watches": "app:1",
        "Kind": "generic",
        "URL": f"{receiver.url}/hook",
        "Options": "<none>",
        "Secret": "set",
        "Auth Token": "<none>",
        "State": "enabled",
        "Failures": "0 in a row",
        "Last Delivery": "AGE ago (HTTP 200)",
        "Last Error": "<none>",
        "Created": "AGE ago",
        "Updated": "AGE ago",
    }
    rows = [line.split() for line in recent.splitlines()]
    assert rows[0] == ["ID", "KIND", "STATUS", "TAG", "IMAGE", "ATTEMPTS", "RESPONSE", "CREATED"]
    assert [row[1:4] for row in rows[1:]] == [
        ["change", "succeeded", "app:1"],
        ["change", "succeeded", "app:1"],
        ["test", "succeeded", "<none>"],
    ]
    as_json = json.loads(ok(isctl("trigger", "describe", "deploy", "-o", "json", "--deliveries=1")))
    assert as_json["trigger"]["name"] == "deploy"
    assert [delivery["id"] for delivery in as_json["deliveries"]] == [rows[1][0]]


def test_resend_edit_disable_enable_and_delete(isctl, server, receiver, app_repo):
    login(isctl, server)
    created(isctl, receiver)
    ok(isctl("import-image", "app:1", f"--from={app_repo}:1", "--confirm", "--insecure"))
    [first] = receiver.wait_for(1)
    delivery = first.headers["x-imagestreams-delivery"]

    assert ok(isctl("trigger", "resend", "deploy", delivery)) == (
        f"delivery/{delivery} queued to be sent again\n"
    )
    again = receiver.wait_for(2)[1]
    assert again.headers["x-imagestreams-delivery"] == delivery
    assert again.body == first.body

    edited = isctl("trigger", "edit", "deploy", "--url", f"{receiver.url}/v2", "-o", "json")
    assert json.loads(ok(edited))["url"] == f"{receiver.url}/v2"
    ok(isctl("trigger", "edit", "deploy", "--watch", "app"))
    row = ok(isctl("trigger", "list", "-o", "wide")).splitlines()[1].split()
    assert row[:4] == ["deploy", "app:*", "generic", "enabled"]
    assert row[-1] == f"{receiver.url}/v2"

    assert ok(isctl("trigger", "disable", "deploy")) == "trigger/deploy disabled\n"
    assert "paused" in ok(isctl("trigger", "list"))
    refused = isctl("trigger", "resend", "deploy", delivery)
    assert refused.code == 1
    assert refused.err == 'error: trigger "deploy" is not enabled; enable it before re-sending\n'
    assert ok(isctl("trigger", "enable", "deploy")) == "trigger/deploy enabled\n"
    ok(isctl("trigger", "resend", "deploy", delivery))
    assert receiver.wait_for(3)[2].path == "/v2"

    assert ok(isctl("trigger", "delete", "deploy")) == "trigger/deploy deleted\n"
    listed = isctl("trigger", "list")
    assert (listed.code, listed.out, listed.err) == (0, "", "No triggers found in team project.\n")
    assert json.loads(ok(isctl("trigger", "list", "-o", "json"))) == {"items": []}
