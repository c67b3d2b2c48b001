"""Members, service accounts and tokens, shares and the audit log against a
scripted API (answers checked against the OpenAPI schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from imagestreams.cli.config import Config
from tests.cli import answers
from tests.cli.answers import page
from tests.cli.fakes import SERVER, FakeApi, error

TEAM = "projects/team"


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


NEW_COMMANDS = [
    ["trigger", "create"], ["trigger", "edit"], ["trigger", "list"], ["trigger", "describe"],
    ["trigger", "enable"], ["trigger", "disable"], ["trigger", "test"], ["trigger", "resend"],
    ["trigger", "delete"], ["member", "add"], ["member", "list"], ["member", "remove"],
    ["sa", "create"], ["sa", "list"], ["sa", "set-role"], ["sa", "delete"], ["sa", "new-token"],
    ["sa", "tokens"], ["sa", "revoke-token"], ["share", "grant"], ["share", "list"],
    ["share", "revoke"], ["audit"],
]  # fmt: skip


@pytest.mark.parametrize("command", NEW_COMMANDS, ids=" ".join)
def test_every_new_command_has_help_with_examples(isctl, command):
    result = isctl(*command, "--help")
    assert result.code == 0
    _, _, example = result.out.partition("\nexamples:\n  ")
    assert f"isctl {' '.join(command)}" in example


@pytest.mark.parametrize("group", ["trigger", "member", "sa", "share"])
def test_a_group_without_an_action_is_a_usage_error(isctl, group):
    result = isctl(group)
    assert result.code == 2
    assert result.err.startswith("error: give an action: ")


def test_member_add_list_and_remove(isctl):
    api = FakeApi().on("PUT", f"{TEAM}/members/alice", answers.member("alice", "editor"))
    api.on("GET", f"{TEAM}/members", page([answers.member("admin", "admin")]))
    api.on("DELETE", f"{TEAM}/members/alice", (204, None))
    added = isctl("member", "add", "alice", "--role", "editor", transport=api.transport)
    assert added.out == 'member/alice is editor in project "team"\n'
    assert api.body("PUT", f"{TEAM}/members/alice") == {"role": "editor"}
    listed = isctl("member", "list", transport=api.transport).out.splitlines()
    assert [line.split()[:2] for line in listed] == [["USERNAME", "ROLE"], ["admin", "admin"]]
    removed = isctl("member", "rm", "alice", transport=api.transport)
    assert removed.out == 'member/alice removed from project "team"\n'


def test_demoting_the_last_admin_shows_the_servers_refusal(isctl):
    message = 'project "team" must keep at least one admin; make someone else admin first'
    refusal = error(409, message, "conflict")
    api = FakeApi().on("PUT", f"{TEAM}/members/admin", refusal)
    result = isctl("member", "add", "admin", "--role", "viewer", transport=api.transport)
    assert (result.code, result.err) == (1, f"error: {message}\n")


def test_a_new_token_is_printed_alone_on_stdout_once(isctl):
    created = answers.token_created("isk_secret_value", id=12, name="gitlab")
    api = FakeApi().on("POST", f"{TEAM}/serviceaccounts/ci/tokens", (201, created))
    result = isctl(
        "sa", "new-token", "ci", "--name", "gitlab", "--expires-in-days", "90",
        transport=api.transport,
    )  # fmt: skip
    assert result.out == "isk_secret_value\n"
    assert result.err == "The token is shown only once: store it now (id 12).\n"
    assert api.body("POST", f"{TEAM}/serviceaccounts/ci/tokens") == {
        "name": "gitlab",
        "expires_in_days": 90,
    }


def test_service_accounts_and_tokens_are_listed_without_secrets(isctl):
    api = FakeApi().on("GET", f"{TEAM}/serviceaccounts", page([answers.service_account("ci")]))
    token = answers.token_created("isk_abcdefghijkl")
    del token["token"]
    api.on("GET", f"{TEAM}/serviceaccounts/ci/tokens", page([token]))
    accounts = isctl("sa", "list", transport=api.transport).out.splitlines()
    assert accounts[1].split()[:3] == ["ci", "viewer", "serviceaccount:team:ci"]
    tokens = isctl("sa", "tokens", "ci", transport=api.transport).out
    assert tokens.splitlines()[1].split()[:3] == ["1", "isctl", "isk_abcdefgh"]
    assert tokens.splitlines()[1].split()[-2:] == ["never", "never"]


def test_share_grant_needs_a_stream_or_all_and_one_target(isctl):
    api = FakeApi()
    for argv in (["--to-project", "web"], ["python"], ["python", "--all", "--to-user", "bob"]):
        result = isctl("share", "grant", *argv, transport=api.transport)
        assert result.code == 2, argv
    assert api.requests == []


def test_share_grant_every_stream_with_a_user_then_revoke(isctl):
    granted = answers.share(7, stream=None, target_project=None, target_user="bob")
    api = FakeApi().on("POST", f"{TEAM}/shares", (201, granted))
    api.on("DELETE", f"{TEAM}/shares/7", (204, None))
    result = isctl("share", "grant", "--all", "--to-user", "bob", transport=api.transport)
    assert result.out == "share/7: every stream of team shared with user/bob\n"
    assert api.body("POST", f"{TEAM}/shares") == {"stream": None, "target_user": "bob"}
    assert isctl("share", "revoke", "7", transport=api.transport).out == "share/7 revoked\n"


def test_audit_passes_the_filters_and_limits_the_entries(isctl):
    events = [answers.audit_event(n, "tag.set", target=f"python:{n}") for n in (3, 2, 1)]
    second = f"{SERVER}/api/v1/{TEAM}/audit?page=2"
    api = FakeApi().on(
        "GET",
        f"{TEAM}/audit",
        lambda request: httpx.Response(
            200,
            json=page(events[2:]) | {"count": 3}
            if request.url.params.get("page") == "2"
            else page(events[:2], next_url=second) | {"count": 3},
        ),
    )
    result = isctl(
        "audit", "--action", "tag", "--actor", "admin", "--since", "2h", "--limit", "3",
        "-o", "json", transport=api.transport,
    )  # fmt: skip
    assert [event["id"] for event in json.loads(result.out)["items"]] == [3, 2, 1]
    params = api.requests[0].url.params
    assert (params["action"], params["actor"], params["page_size"]) == ("tag", "admin", "3")
    since = datetime.fromisoformat(params["since"])
    assert timedelta(hours=2) <= datetime.now(UTC) - since < timedelta(hours=2, minutes=5)
    table = isctl("audit", "--limit", "1", transport=api.transport).out.splitlines()
    assert len(table) == 2 and table[1].split()[-2:] == ["tag.set", "python:3"]


def test_audit_wide_shows_what_changed(isctl):
    event = answers.audit_event(
        1, "member.set", target="alice", before={"role": "viewer"}, after={"role": "editor"}
    )
    api = FakeApi().on("GET", f"{TEAM}/audit", page([event]))
    row = isctl("audit", "-o", "wide", transport=api.transport).out.splitlines()[1]
    assert row.startswith("2024-01-01T00:00:00Z   admin   api (isctl)   member.set   alice   ")
    assert row.endswith("role: viewer -> editor")


def test_audit_csv_is_the_servers_export_streamed(isctl):
    csv = "id,created,actor\r\n2,2024-01-01T00:00:00Z,admin\r\n"
    api = FakeApi().on(
        "GET",
        f"{TEAM}/audit/export",
        lambda request: httpx.Response(200, text=csv, headers={"content-type": "text/csv"}),
    )
    result = isctl("audit", "--actor", "admin", "-o", "csv", transport=api.transport)
    assert (result.code, result.out) == (0, csv)
    assert dict(api.requests[0].url.params) == {"actor": "admin", "format": "csv"}


def test_audit_export_errors_are_the_apis(isctl):
    api = FakeApi().on(
        "GET",
        f"{TEAM}/audit/export",
        error(403, 'you may not admin in project "team" (your role there is editor)', "forbidden"),
    )
    result = isctl("audit", "-o", "jsonl", transport=api.transport)
    assert result.code == 1
    assert result.err == 'error: you may not admin in project "team" (your role there is editor)\n'


@pytest.mark.parametrize("since", ["yesterday", "2h ago", "01/02/2026"])
def test_audit_refuses_times_it_cannot_read(isctl, since):
    result = isctl("audit", "--since", since)
    assert result.code == 2
    assert "invalid time" in result.err
