"""`isctl trigger` against a scripted API (answers checked against the
OpenAPI schema): what each command sends, kind-specific flags, usage errors."""

from __future__ import annotations

import json

import pytest

from imagestreams.cli.config import Config
from tests.cli import answers
from tests.cli.answers import page
from tests.cli.fakes import SERVER, FakeApi, error

TRIGGERS = "projects/team/triggers"
ID = "3f0c2a4e-5b1d-4c8e-9a77-0d5e6f1b2c3d"


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


def test_create_sends_the_kinds_flags_as_options_and_reads_the_token_from_stdin(isctl):
    created = answers.trigger("gl", preset="gitlab", has_token=True)
    api = FakeApi().on("POST", TRIGGERS, (201, created))
    result = isctl(
        "trigger", "create", "gl", "--watch", "app", "--kind", "gitlab",
        "--gitlab-project", "acme/app", "--ref", "main", "--variable", "A=1",
        "--variable", "B=x=y", "--auth-token", "-", "--disabled",
        stdin="glptt-secret\n", transport=api.transport,
    )  # fmt: skip
    assert (result.code, result.out, result.err) == (0, "trigger/gl created\n", "")
    assert api.body("POST", TRIGGERS) == {
        "name": "gl",
        "preset": "gitlab",
        "stream": "app",
        "tag": "",
        "options": {"project": "acme/app", "ref": "main", "variables": {"A": "1", "B": "x=y"}},
        "token": "glptt-secret",
        "enabled": False,
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--watch", "app:1", "--repository", "a/b"], "--repository is an option of github"),
        (["--watch", "team/app:1"], "--watch takes STREAM or STREAM:TAG of this project"),
        (["--watch", "app", "--option", "novalue"], '--option takes NAME=VALUE, not "novalue"'),
        (["--watch", "app", "--secret", "-", "--auth-token", "-"], "only one of --secret"),
        (["--kind", "generic"], "the following arguments are required: --watch"),
        (["--watch", "app", "--kind", "svn"], "argument --kind/--preset: invalid choice"),
    ],
)
def test_create_refuses_a_bad_command_line_before_sending(isctl, argv, message):
    api = FakeApi()
    result = isctl("trigger", "create", "t", *argv, transport=api.transport)
    assert result.code == 2
    assert message in result.err
    assert api.requests == []


def test_edit_merges_options_and_sends_only_what_changed(isctl):
    current = answers.trigger(
        "gl", preset="gitlab", options={"project": "a/b", "ref": "main", "variables": {"A": "1"}}
    )
    api = FakeApi().on("GET", f"{TRIGGERS}/gl", current)
    api.on("PATCH", f"{TRIGGERS}/gl", current)
    result = isctl(
        "trigger", "edit", "gl", "--variable", "B=2", "--remove-option", "ref",
        "--url", "https://gitlab.example.com/x", transport=api.transport,
    )  # fmt: skip
    assert (result.code, result.out) == (0, "trigger/gl edited\n")
    assert api.body("PATCH", f"{TRIGGERS}/gl") == {
        "url": "https://gitlab.example.com/x",
        "options": {"project": "a/b", "variables": {"A": "1", "B": "2"}},
    }


def test_edit_with_a_new_kind_starts_from_no_options(isctl):
    api = FakeApi().on("GET", f"{TRIGGERS}/t", answers.trigger("t", options={}))
    api.on("PATCH", f"{TRIGGERS}/t", answers.trigger("t", preset="github"))
    ok = isctl("trigger", "edit", "t", "--kind", "github", "--repository", "a/b",
               transport=api.transport)  # fmt: skip
    assert ok.code == 0, ok.err
    assert api.body("PATCH", f"{TRIGGERS}/t") == {
        "preset": "github",
        "options": {"repository": "a/b"},
    }


def test_edit_without_changes_is_a_usage_error(isctl):
    api = FakeApi()
    result = isctl("trigger", "edit", "t", transport=api.transport)
    assert result.code == 2
    assert result.err.startswith("error: nothing to change")


def test_a_server_refusal_is_printed_with_the_apis_detail(isctl):
    api = FakeApi().on(
        "POST", TRIGGERS, error(400, "url is required for a JSON webhook", field="url")
    )
    result = isctl("trigger", "create", "t", "--watch", "app", transport=api.transport)
    assert (result.code, result.err) == (1, "error: url is required for a JSON webhook\n")


def test_a_failed_test_delivery_exits_1(isctl):
    failed = answers.delivery(
        ID,
        status="failed",
        response_status=None,
        error="connection refused",
        attempt_log=[answers.attempt("https://ci.example.com/hook", outcome="failure")],
    )
    api = FakeApi().on("POST", f"{TRIGGERS}/deploy/test", {"succeeded": False, "delivery": failed})
    result = isctl("trigger", "test", "deploy", transport=api.transport)
    assert result.code == 1
    assert result.err == (
        f"error: test delivery {ID} to https://ci.example.com/hook failed: connection refused\n"
    )
    as_json = isctl("trigger", "test", "deploy", "-o", "json", transport=api.transport)
    assert as_json.code == 1
    assert json.loads(as_json.out)["succeeded"] is False


def test_describe_shows_options_state_and_asks_for_n_deliveries(isctl):
    trigger = answers.trigger(
        "gh",
        preset="github",
        options={"repository": "acme/app", "event_type": "image"},
        has_token=True,
        enabled=False,
        disabled_reason="5 failed deliveries in a row",
        consecutive_failures=5,
    )
    api = FakeApi().on("GET", f"{TRIGGERS}/gh", trigger)
    api.on("GET", f"{TRIGGERS}/gh/deliveries", page([answers.delivery(ID)]))
    result = isctl("trigger", "describe", "gh", "--deliveries", "3", transport=api.transport)
    assert result.code == 0, result.err
    assert "Options:\tevent_type=image\n\t\trepository=acme/app\n" in result.out
    assert "State:\t\tdisabled: 5 failed deliveries in a row\n" in result.out
    assert "Auth Token:\tset\n" in result.out
    [listed] = api.sent("GET", f"{TRIGGERS}/gh/deliveries")
    assert listed.url.params["page_size"] == "3"
    assert f"  {ID}   test   succeeded   <none>" in result.out


def test_outsiders_get_the_apis_not_found(isctl):
    api = FakeApi().on(
        "GET", f"{TRIGGERS}", error(404, 'project "team" not found', "not_found", "project")
    )
    result = isctl("trigger", "list", transport=api.transport)
    assert (result.code, result.err) == (1, 'error: project "team" not found\n')
