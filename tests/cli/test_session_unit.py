"""login, logout, whoami, project(s), new-project and where settings come
from, against a scripted API."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from imagestreams.cli.config import Config
from tests.cli.answers import page, project, token_created, whoami
from tests.cli.fakes import SERVER, FakeApi, error

TOKEN = "isk_abcdefgh12345678"


@pytest.fixture
def saved(config_file):
    Config(server=SERVER, token=TOKEN, token_id=7, username="alice", project="team").save(
        config_file
    )
    return config_file


def token(id: int, prefix: str) -> dict:
    listed = token_created(prefix, id=id, prefix=prefix)
    del listed["token"]  # shown once, when created
    return listed


def read(config_file) -> dict:
    return json.loads(config_file.read_text())


def test_login_with_a_password_creates_a_token_and_saves_it_privately(isctl, config_file):
    api = FakeApi()
    api.on("POST", "tokens", (201, token_created(TOKEN, id=12)))
    api.on("GET", "projects", page([project("team")]))
    result = isctl(
        "login", "--server", SERVER, "-u", "alice", "--password-stdin",
        stdin="s3cret\n", transport=api.transport,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == 'Login successful.\n\nUsing project "team".\n'
    [request] = api.sent("POST", "tokens")
    basic = base64.b64encode(b"alice:s3cret").decode()
    assert request.headers["Authorization"] == f"Basic {basic}"
    assert json.loads(request.content)["name"].startswith("isctl on ")
    # The projects are listed with the new token, not the password.
    assert api.sent("GET", "projects")[0].headers["Authorization"] == f"Bearer {TOKEN}"
    config = read(config_file)
    assert config | {"token": TOKEN} == {
        "server": SERVER,
        "token": TOKEN,
        "token_id": 12,
        "username": "alice",
        "project": "team",
        "insecure_skip_tls_verify": False,
    }
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert "s3cret" not in config_file.read_text()


def test_login_lists_several_projects_and_keeps_the_previous_one(isctl, saved):
    api = FakeApi().on("POST", "tokens", (201, token_created("isk_new", id=13)))
    api.on("GET", "projects", page([project("other"), project("team")]))
    result = isctl(
        "login", "-u", "alice", "--password-stdin", stdin="pw\n", transport=api.transport
    )
    assert result.code == 0
    assert "  * team\n    other\n" not in result.out
    assert "    other\n  * team\n" in result.out
    assert read(saved)["project"] == "team"
    assert read(saved)["token"] == "isk_new"


def test_a_wrong_password_is_reported_and_nothing_is_saved(isctl, config_file):
    api = FakeApi().on("POST", "tokens", error(401, "Invalid username/password.", "auth"))
    result = isctl(
        "login", "--server", SERVER, "-u", "alice", "--password-stdin",
        stdin="nope\n", transport=api.transport,
    )  # fmt: skip
    assert (result.code, result.out) == (1, "")
    assert result.err == f"error: login failed: wrong username or password for {SERVER}\n"
    assert not config_file.exists()


def test_login_with_a_token_checks_it(isctl, config_file):
    api = FakeApi().on("GET", "whoami", whoami("bob"))
    api.on("GET", "projects", page([]))
    result = isctl("login", "--server", "api.test:8443", "--token", TOKEN, transport=api.transport)
    assert result.code == 0
    assert result.out.startswith(
        'Logged into "https://api.test:8443" as "bob" using the token provided.\n'
    )
    assert "You don't have any projects." in result.out
    assert api.requests[0].url == "https://api.test:8443/api/v1/whoami"
    assert api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert read(config_file)["token"] == TOKEN


def test_login_needs_a_server_and_a_way_to_get_the_password(isctl):
    assert isctl("login", "-u", "alice").err.startswith(
        "error: --server is required the first time you log in\n"
    )
    result = isctl("login", "--server", SERVER, "-u", "alice")
    assert result.code == 2
    assert "--password-stdin" in result.err


def test_a_saved_token_is_never_sent_to_another_server(isctl, saved, monkeypatch):
    api = FakeApi()
    monkeypatch.setenv("ISCTL_SERVER", "https://elsewhere.test")
    result = isctl("get", "is", "-n", "team", transport=api.transport)
    assert result.code == 1
    assert result.err.startswith("error: you are not logged in to https://elsewhere.test\n")
    assert api.requests == []


def test_flags_win_over_environment_which_wins_over_the_file(isctl, saved, monkeypatch):
    api = FakeApi().on("GET", "projects/team-b/imagestreams", page([]))
    api.on("GET", "projects/team-c/imagestreams", page([]))
    for name in ("team-b", "team-c"):
        api.on("GET", f"projects/{name}/sharedimagestreams", page([]))
    monkeypatch.setenv("ISCTL_PROJECT", "team-b")
    monkeypatch.setenv("ISCTL_TOKEN", "isk_from_env")
    assert isctl("get", "is", transport=api.transport).code == 0
    assert (
        isctl("get", "is", "-n", "team-c", "--token", "isk_flag", transport=api.transport).code == 0
    )
    first, second = [r for r in api.requests if r.url.path.endswith("/imagestreams")]
    assert (first.url.path, first.headers["Authorization"]) == (
        "/api/v1/projects/team-b/imagestreams",
        "Bearer isk_from_env",
    )
    assert (second.url.path, second.headers["Authorization"]) == (
        "/api/v1/projects/team-c/imagestreams",
        "Bearer isk_flag",
    )


def test_logout_revokes_the_token_and_forgets_it(isctl, saved):
    api = FakeApi().on("GET", "whoami", whoami("alice"))
    api.on("DELETE", "tokens/7", (204, None))
    result = isctl("logout", transport=api.transport)
    assert result.code == 0
    assert result.out == f'Logged "alice" out on "{SERVER}"\n'
    assert api.sent("DELETE", "tokens/7")
    assert read(saved)["token"] == ""
    assert read(saved)["project"] == "team"


def test_logout_of_a_service_account_only_forgets_its_token(isctl, saved):
    api = FakeApi().on("GET", "whoami", whoami("serviceaccount:team:ci"))
    result = isctl("logout", transport=api.transport)
    assert result.code == 0
    assert not api.sent("DELETE", "tokens/7")
    assert read(saved)["token"] == ""


def test_logout_finds_a_token_given_on_the_command_line_by_its_prefix(isctl, saved):
    api = FakeApi().on("GET", "whoami", whoami("alice"))
    api.on(
        "GET",
        "tokens",
        page([token(3, "isk_zzzzzzzz"), token(4, "isk_other123")]),
    )
    api.on("DELETE", "tokens/4", (204, None))
    result = isctl("logout", "--token", "isk_other123_rest", transport=api.transport)
    assert result.code == 0
    assert api.sent("DELETE", "tokens/4")
    assert read(saved)["token"] == TOKEN  # not the one that was logged out


def test_whoami_prints_the_user_or_the_token(isctl, saved):
    api = FakeApi().on("GET", "whoami", whoami("alice"))
    assert isctl("whoami", transport=api.transport).out == "alice\n"
    assert isctl("whoami", "-t").out == f"{TOKEN}\n"
    assert isctl("whoami", "--show-server").out == f"{SERVER}\n"


def test_project_switches_only_to_a_visible_project(isctl, saved):
    api = FakeApi().on("GET", "projects/web", project("web"))
    api.on("GET", "projects/secret", error(404, 'project "secret" not found', "not_found"))
    assert isctl("project").out == f'Using project "team" on server "{SERVER}".\n'
    result = isctl("project", "web", transport=api.transport)
    assert result.out == f'Now using project "web" on server "{SERVER}".\n'
    assert read(saved)["project"] == "web"
    result = isctl("project", "secret", transport=api.transport)
    assert (result.code, result.err) == (1, 'error: project "secret" not found\n')
    assert read(saved)["project"] == "web"
    assert isctl("project", "-q").out == "web\n"


def test_without_a_project_the_error_says_how_to_choose_one(isctl, config_file):
    Config(server=SERVER, token=TOKEN).save(config_file)
    result = isctl("get", "is")
    assert result.code == 1
    assert result.err == (
        "error: no project selected\n"
        'hint: choose one with "isctl project NAME" (list them with "isctl projects") or '
        "pass -n NAME\n"
    )


def test_projects_marks_the_current_one(isctl, saved):
    api = FakeApi().on(
        "GET", "projects", page([project("team", display_name="Team"), project("web")])
    )
    result = isctl("projects", transport=api.transport)
    assert "  * team - Team\n    web\n" in result.out
    assert result.out.endswith(f'Using project "team" on server "{SERVER}".\n')


def test_new_project_creates_it_and_switches_to_it(isctl, saved):
    api = FakeApi().on("POST", "projects", (201, project("web", display_name="Web")))
    result = isctl("new-project", "web", "--display-name", "Web", transport=api.transport)
    assert result.code == 0
    assert result.out.startswith(f'Now using project "web" on server "{SERVER}".\n')
    assert api.body("POST", "projects") == {"name": "web", "display_name": "Web"}
    assert read(saved)["project"] == "web"


def test_on_a_terminal_login_asks_for_the_username_and_the_password(isctl, monkeypatch):
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "pw")
    api = FakeApi().on("POST", "tokens", (201, token_created(TOKEN)))
    api.on("GET", "projects", page([]))
    result = isctl("login", "--server", SERVER, stdin="carol\n", tty=True, transport=api.transport)
    assert result.code == 0, result.err
    assert result.err == "Username: "
    assert asked == ["Password: "]
    basic = base64.b64encode(b"carol:pw").decode()
    assert api.sent("POST", "tokens")[0].headers["Authorization"] == f"Basic {basic}"
