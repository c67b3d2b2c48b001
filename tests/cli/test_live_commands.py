"""The rest of the CLI against a live server: sessions, projects, reads,
history and rollback, permissions, and the installed `isctl` console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagestreams.models import ApiToken
from tests.cli.live import LIVE, login, ok, sections, steady
from tests.personas import PASSWORD

pytestmark = LIVE

ISCTL = Path(sys.executable).parent / "isctl"


@pytest.fixture
def server(live_server, team) -> str:
    return live_server.url


@pytest.fixture
def app_repo(registry, pusher, unique_repo):
    """`<registry>/<repo>` with tags 1 and 2 (different images)."""
    client = pusher(registry)
    digests = {tag: client.push_image(unique_repo, tag, text=tag).digest for tag in ("1", "2")}
    return f"{registry.host}/{unique_repo}", digests


def test_login_logout_and_projects(isctl, server, config_file):
    login(isctl, server, "editor")
    assert ok(isctl("whoami")) == "editor\n"
    assert ok(isctl("project")) == f'Using project "team" on server "{server}".\n'
    assert json.loads(config_file.read_text())["project"] == "team"

    out = ok(isctl("new-project", "web", "--display-name", "Web"))
    assert out.startswith(f'Now using project "web" on server "{server}".\n')
    assert "  * web - Web\n" in ok(isctl("projects"))
    assert ok(isctl("project", "team")).startswith('Now using project "team"')

    token = json.loads(config_file.read_text())["token"]
    assert ApiToken.objects.get(key_prefix=token[:12]).is_active
    assert ok(isctl("logout")) == f'Logged "editor" out on "{server}"\n'
    assert not ApiToken.objects.get(key_prefix=token[:12]).is_active
    result = isctl("get", "is")
    assert result.code == 1
    assert result.err.startswith(f"error: you are not logged in to {server}\n")


def test_a_wrong_password_and_an_unknown_project(isctl, server, config_file):
    result = isctl("login", "--server", server, "-u", "editor", "--password-stdin", stdin="wrong\n")
    assert result.code == 1
    assert result.err == f"error: login failed: wrong username or password for {server}\n"
    assert not config_file.exists()
    login(isctl, server, "outsider")
    assert "You don't have any projects." in ok(isctl("projects"))
    result = isctl("project", "team")
    assert (result.code, result.err) == (1, 'error: project "team" not found\n')


def test_a_viewer_can_read_but_not_tag(isctl, server, app_repo):
    repo, _ = app_repo
    login(isctl, server, "editor")
    ok(isctl("import-image", "app:1", f"--from={repo}:1", "--confirm", "--insecure"))
    login(isctl, server, "viewer")
    assert "app:1" in ok(isctl("get", "istag"))
    result = isctl("tag", "app:1", "app:stable")
    assert result.code == 1
    assert result.err == 'error: you may not edit in project "team" (your role there is viewer)\n'


def test_get_history_and_rollback(isctl, server, app_repo):
    repo, digests = app_repo
    login(isctl, server)
    ok(isctl("import-image", "app:1", f"--from={repo}:1", "--confirm", "--insecure"))
    ok(isctl("tag", f"{repo}:2", "app:2", "--insecure"))
    ok(isctl("tag", "app:1", "app:prod"))
    ok(isctl("tag", "app:2", "app:prod"))

    table = steady(ok(isctl("get", "is")))
    assert table.splitlines()[0].split() == ["NAME", "IMAGE", "REPOSITORY", "TAGS", "UPDATED"]
    assert table.splitlines()[1].split()[0] == "app"
    assert set(table.splitlines()[1].split()[1].split(",")) == {"1", "2", "prod"}
    listed = json.loads(ok(isctl("get", "istag", "-o", "json")))
    assert sorted(istag["name"] for istag in listed["items"]) == ["app:1", "app:2", "app:prod"]
    assert ok(isctl("get", "istag", "app:prod", "-o", "name")) == "imagestreamtag/app:prod\n"
    images = ok(isctl("get", "isimage", "-o", "wide"))
    assert f"app@{digests['1']}" in images and f"app@{digests['2']}" in images

    history = steady(ok(isctl("history", "app:prod")))
    short = {tag: digest[:19] for tag, digest in digests.items()}
    assert history.splitlines()[1:] == [
        f"0      {short['2']}   tag     editor   AGE ago",
        f"1      {short['1']}   tag     editor   AGE ago",
    ]

    out = ok(isctl("rollback", "app:prod"))
    assert out == f"Tag app:prod rolled back to {digests['1']}.\n"
    described = steady(ok(isctl("describe", "is/app")))
    assert sections(described)["prod"].startswith(f"prod\n  tagged from app@{digests['1']}\n")
    rolled = json.loads(ok(isctl("history", "app:prod", "-o", "json")))["items"]
    assert [item["image"] for item in rolled] == [digests["1"], digests["2"], digests["1"]]
    assert rolled[0]["cause"] == "rollback"

    ok(isctl("rollback", "app:prod", "--to", digests["2"][:15]))
    result = isctl("rollback", "app:prod", "--steps", "9")
    assert result.code == 1
    assert "cannot roll back 9 step(s)" in result.err


def test_a_failed_import_is_reported_and_exits_non_zero(isctl, server, registry):
    login(isctl, server)
    result = isctl(
        "import-image", "ghost:1", f"--from={registry.host}/lab/missing-repo:1", "--confirm",
        "--insecure",
    )  # fmt: skip
    assert result.code == 1
    assert result.err.startswith("error: import failed, image stream not created: 1: ")


def test_the_console_script_works(server, app_repo, tmp_path):
    """The installed `isctl` (pyproject's console script), as a user runs it."""
    repo, digests = app_repo
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ISCTL_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["ISCTL_CONFIG"] = str(tmp_path / "isctl.json")

    def isctl(*argv: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ISCTL), *argv], input=stdin, capture_output=True, text=True, env=env, timeout=120
        )

    logged_in = isctl(
        "login", "--server", server, "-u", "editor", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert logged_in.returncode == 0, logged_in.stderr
    imported = isctl("import-image", "app:1", f"--from={repo}:1", "--confirm", "--insecure")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("imagestream/app imported\n")
    described = isctl("describe", "istag/app:1")
    assert described.stdout.startswith(f"Image Name:\t{digests['1']}\n")
    usage = isctl("tag", "app:1")
    assert usage.returncode == 2
    assert usage.stderr.startswith("error: you must specify a source and at least one destination")


def test_names_that_cannot_exist_get_ocs_wording(isctl, server):
    login(isctl, server)
    result = isctl("describe", "is/NOPE")
    assert (result.code, result.out, result.err) == (
        1,
        "",
        'error: image stream "NOPE" not found\n',
    )
    result = isctl("get", "is", "nope")
    assert (result.code, result.err) == (1, 'error: image stream "nope" not found\n')
    result = isctl("-n", "Team-B", "get", "is")
    assert (result.code, result.err) == (1, 'error: project "Team-B" not found\n')
    result = isctl("-n", "team-b", "describe", "is/demo/python")
    assert result.code == 2
    assert result.err == (
        'error: invalid image stream name "demo/python": arguments in resource/name form may '
        "not have more than one slash\n"
        'hint: for "python" of project "demo", run: isctl -n demo describe is/python\n'
    )
