"""Members, service accounts and their tokens, shares and the audit log with
the real CLI against a live server."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.cli.live import LIVE, login, ok

pytestmark = LIVE


@pytest.fixture
def server(live_server, team) -> str:
    return live_server.url


def rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()]


def test_members_roles_and_the_audit_log(isctl, server):
    login(isctl, server, "admin")
    listed = json.loads(ok(isctl("member", "list", "-o", "json")))["items"]
    assert sorted((m["username"], m["role"]) for m in listed) == [
        ("admin", "admin"),
        ("editor", "editor"),
        ("viewer", "viewer"),
    ]
    added = ok(isctl("member", "add", "outsider"))
    assert added == 'member/outsider is viewer in project "team"\n'
    ok(isctl("member", "add", "outsider", "--role", "editor"))
    assert ["outsider", "editor"] in [row[:2] for row in rows(ok(isctl("member", "list")))]
    assert ok(isctl("member", "remove", "outsider")) == (
        'member/outsider removed from project "team"\n'
    )
    missing = isctl("member", "add", "nobody-at-all")
    assert missing.code == 1 and "nobody-at-all" in missing.err

    table = rows(ok(isctl("audit", "--action", "member", "--actor", "admin")))
    assert table[0] == ["WHEN", "ACTOR", "VIA", "ACTION", "TARGET"]
    # Newest first: the removal, the promotion, the addition.
    assert [row[-2:] for row in table[1:4]] == [
        ["member.remove", "outsider"],
        ["member.set", "outsider"],
        ["member.set", "outsider"],
    ]
    assert all(row[-5:-2] == ["admin", "api", "(isctl)"] for row in table[1:4])
    wide = ok(isctl("audit", "--action", "member.set", "--target", "outsider", "-o", "wide"))
    assert "role: viewer -> editor" in wide

    exported = list(
        csv.DictReader(io.StringIO(ok(isctl("audit", "--action", "member", "-o", "csv"))))
    )
    assert [row["action"] for row in exported[:3]] == ["member.remove", "member.set", "member.set"]
    lines = ok(isctl("audit", "--actor", "admin", "-o", "jsonl")).splitlines()
    assert {json.loads(line)["actor"] for line in lines} == {"admin"}
    assert len(json.loads(ok(isctl("audit", "--limit", "2", "-o", "json")))["items"]) == 2


def test_a_service_account_acts_through_a_token_shown_once(isctl, server):
    login(isctl, server, "admin")
    created = ok(isctl("sa", "create", "ci", "--role", "editor", "--description", "GitLab CI"))
    assert created == "serviceaccount/ci created\n"
    assert rows(ok(isctl("sa", "list")))[1][:3] == ["ci", "editor", "serviceaccount:team:ci"]

    made = isctl("sa", "new-token", "ci", "--name", "gitlab", "--expires-in-days", "30")
    token = ok(made).strip()
    assert made.err.startswith("The token is shown only once: store it now (id ")
    assert ok(isctl("whoami", "--token", token)) == "serviceaccount:team:ci\n"
    [listed] = json.loads(ok(isctl("sa", "tokens", "ci", "-o", "json")))["items"]
    assert "token" not in listed and token.startswith(listed["prefix"])
    assert token not in ok(isctl("sa", "tokens", "ci"))

    assert ok(isctl("sa", "set-role", "ci", "viewer")) == "serviceaccount/ci is viewer\n"
    revoked = ok(isctl("sa", "revoke-token", "ci", str(listed["id"])))
    assert revoked == f"token {listed['id']} of serviceaccount/ci revoked\n"
    refused = isctl("whoami", "--token", token)
    assert refused.code == 1
    assert ok(isctl("sa", "delete", "ci")) == "serviceaccount/ci deleted\n"
    assert isctl("sa", "list").err == "No service accounts found in team project.\n"


def test_a_share_shows_the_stream_in_the_other_projects_get_is(isctl, server):
    login(isctl, server, "admin")
    ok(isctl("new-project", "platform"))
    ok(isctl("tag", "docker.io/library/python:3.12", "base:3.12", "--reference"))
    granted = ok(isctl("share", "grant", "base", "--to-project", "team"))
    assert granted.startswith("share/") and granted.endswith(
        ": stream base of platform shared with project/team\n"
    )
    [share] = json.loads(ok(isctl("share", "list", "-o", "json")))["items"]
    assert rows(ok(isctl("share", "list")))[1][:3] == [str(share["id"]), "base", "project/team"]

    login(isctl, server, "viewer")
    table = rows(ok(isctl("-n", "team", "get", "is")))
    assert table[0][-1] == "SHARED"
    assert [table[1][0], table[1][-1]] == ["platform/base", "read-only"]
    assert ok(isctl("-n", "team", "get", "is", "-o", "name")) == "imagestream/platform/base\n"
    described = ok(isctl("-n", "platform", "describe", "is/base"))
    assert described.startswith("Name:\t\t\tbase\nNamespace:\t\tplatform\n")
    refused = isctl("-n", "platform", "tag", "base:3.12", "base:stable")
    assert refused.code == 1

    login(isctl, server, "admin")
    assert ok(isctl("-n", "platform", "share", "revoke", str(share["id"]))) == (
        f"share/{share['id']} revoked\n"
    )
    login(isctl, server, "viewer")
    gone = isctl("-n", "team", "get", "is")
    assert (gone.out, gone.err) == ("", "No resources found in team project.\n")


def test_team_commands_need_the_admin_role_and_hide_the_project_from_outsiders(isctl, server):
    login(isctl, server, "editor")
    for command in (["member", "list"], ["sa", "list"], ["share", "list"], ["audit"]):
        refused = isctl(*command)
        assert refused.code == 1, command
        assert refused.err == (
            'error: you may not admin in project "team" (your role there is editor)\n'
        ), command
    login(isctl, server, "outsider")
    hidden = isctl("-n", "team", "member", "list")
    assert (hidden.code, hidden.err) == (1, 'error: project "team" not found\n')
