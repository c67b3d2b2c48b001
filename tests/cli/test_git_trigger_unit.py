"""`isctl trigger` for Git write-backs against a scripted API (answers
checked against the OpenAPI schema): the updates on the command line, the
dry run's diff, commits and diff in describe."""

from __future__ import annotations

import pytest

from imagestreams.cli.config import Config
from tests.cli import answers
from tests.cli.answers import page
from tests.cli.fakes import SERVER, FakeApi

TRIGGERS = "projects/team/triggers"
ID = "3f0c2a4e-5b1d-4c8e-9a77-0d5e6f1b2c3d"
REPO = "https://git.example.com/team/deploy.git"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
DIFF = "--- a/values.yaml\n+++ b/values.yaml\n-  digest: ''\n+  digest: sha256:1\n"
UPDATES = [
    {"file": "k.yaml", "type": "kustomize", "name": "app"},
    {"file": "d.yaml", "type": "field", "path": "spec.containers[name=app].image", "tag": "1"},
]


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


def git_trigger(**fields):
    options = {"branch": "main", "push_branch": "main", "updates": UPDATES}
    return (
        answers.trigger("gitops", preset="git", url=REPO, options=options, has_token=True) | fields
    )


def test_create_takes_updates_as_key_value_lists(isctl):
    api = FakeApi().on("POST", TRIGGERS, (201, git_trigger()))
    result = isctl(
        "trigger", "create", "gitops", "--watch", "app:1", "--kind", "git", "--url", REPO,
        "--auth-token", "-", "--push-branch", "imagestreams/prod",
        "--update", "file=k.yaml,type=kustomize,name=app",
        "--update", "file=d.yaml, type=field, path=spec.containers[name=app].image, tag=1",
        stdin="glpat-x\n", transport=api.transport,
    )  # fmt: skip
    assert (result.code, result.out, result.err) == (0, "trigger/gitops created\n", "")
    assert api.body("POST", TRIGGERS) == {
        "name": "gitops",
        "preset": "git",
        "stream": "app",
        "tag": "1",
        "url": REPO,
        "token": "glpat-x",
        "options": {"updates": UPDATES, "push_branch": "imagestreams/prod"},
    }


def test_edit_replaces_the_updates_and_keeps_the_other_options(isctl):
    api = FakeApi().on("GET", f"{TRIGGERS}/gitops", git_trigger())
    api.on("PATCH", f"{TRIGGERS}/gitops", git_trigger())
    result = isctl(
        "trigger", "edit", "gitops", "--update", "file=v.yaml,type=helm", transport=api.transport
    )
    assert result.code == 0
    assert api.body("PATCH", f"{TRIGGERS}/gitops") == {
        "options": {
            "branch": "main",
            "push_branch": "main",
            "updates": [{"file": "v.yaml", "type": "helm"}],
        }
    }


def test_an_update_that_is_not_key_value_pairs_is_refused(isctl):
    api = FakeApi()
    result = isctl(
        "trigger", "create", "g", "--watch", "app", "--kind", "git", "--update", "k.yaml",
        transport=api.transport,
    )  # fmt: skip
    assert result.code == 2
    assert '--update takes NAME=VALUE, not "k.yaml"' in result.err
    assert api.requests == []


def test_the_test_of_a_write_back_is_a_dry_run_that_prints_the_diff(isctl):
    attempt = answers.attempt(
        REPO, response_status=None, response_body="dry run: this diff would be committed", diff=DIFF
    )
    delivery = answers.delivery(ID, response_status=None, attempt_log=[attempt])
    api = FakeApi().on("POST", f"{TRIGGERS}/gitops/test", {"succeeded": True, "delivery": delivery})
    result = isctl("trigger", "test", "gitops", transport=api.transport)
    assert result.code == 0
    assert result.out == (f"Dry run {ID} of {REPO}: dry run: this diff would be committed\n" + DIFF)


def test_describe_shows_the_updates_the_commits_and_the_newest_diff(isctl):
    change = answers.change(digest="sha256:" + "1" * 64)
    pushed = answers.attempt(
        REPO, response_status=None, response_body="pushed 0123456789ab to main",
        commit=COMMIT, diff=DIFF,
    )  # fmt: skip
    delivery = answers.delivery(
        ID, kind="change", response_status=None, change=change, attempt_log=[pushed]
    )
    api = FakeApi().on("GET", f"{TRIGGERS}/gitops", git_trigger())
    api.on("GET", f"{TRIGGERS}/gitops/deliveries", page([delivery]))
    out = isctl("trigger", "describe", "gitops", transport=api.transport).out

    assert "updates[1]=file=k.yaml,name=app,type=kustomize" in out
    assert "updates[2]=file=d.yaml,path=spec.containers[name=app].image,tag=1,type=field" in out
    assert "pushed 0123456789ab to main" in out  # the RESPONSE column
    commits = out.split("\nCommits:\n", 1)[1].splitlines()
    assert commits[0].split() == ["COMMIT", "TAG", "IMAGE", "PUSHED"]
    assert commits[1].split()[:2] == ["0123456789ab", "app:1"]
    assert out.endswith(
        "\nLast Diff (0123456789ab):\n" + "".join(f"  {line}\n" for line in DIFF.splitlines())
    )


SSH_REPO = "git@git.example.com:team/deploy.git"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"
)
HOST_KEY = (
    "git.example.com ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
)


def test_an_ssh_write_back_reads_the_deploy_key_and_host_key_from_files(isctl, tmp_path):
    (tmp_path / "deploy_key").write_text(KEY)
    (tmp_path / "known_hosts").write_text(HOST_KEY)
    created = git_trigger(url=SSH_REPO, has_token=False, has_ssh_key=True)
    api = FakeApi().on("POST", TRIGGERS, (201, created))
    result = isctl(
        "trigger", "create", "gitops", "--watch", "app:1", "--kind", "git", "--url", SSH_REPO,
        "--ssh-key-file", str(tmp_path / "deploy_key"),
        "--known-hosts-file", str(tmp_path / "known_hosts"),
        "--update", "file=k.yaml,type=kustomize,name=app",
        transport=api.transport,
    )  # fmt: skip
    assert (result.code, result.out, result.err) == (0, "trigger/gitops created\n", "")
    body = api.body("POST", TRIGGERS)
    assert (body["ssh_key"], body["options"]["known_hosts"]) == (KEY, HOST_KEY)
    assert "token" not in body

    api.on("GET", f"{TRIGGERS}/gitops", created)
    api.on("GET", f"{TRIGGERS}/gitops/deliveries", page([]))
    out = isctl("trigger", "describe", "gitops", transport=api.transport).out
    assert "SSH Deploy Key:" in out and "BEGIN OPENSSH" not in out


def test_an_edit_sends_a_new_deploy_key_from_stdin_and_keeps_the_options(isctl):
    api = FakeApi().on("PATCH", f"{TRIGGERS}/gitops", git_trigger(url=SSH_REPO))
    result = isctl(
        "trigger", "edit", "gitops", "--ssh-key-file", "-", stdin=KEY, transport=api.transport
    )
    assert result.code == 0, result.err
    assert api.body("PATCH", f"{TRIGGERS}/gitops") == {"ssh_key": KEY}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ssh-key-file", "/nonexistent/key"), "--ssh-key-file: cannot read /nonexistent/key"),
        (("--known-hosts-file", "/etc/hostname", "--kind", "generic"), "not generic"),
        (("--ssh-key-file", "-", "--auth-token", "-"), "only one of --secret, --auth-token"),
    ],
)
def test_ssh_files_that_cannot_be_used_are_usage_errors(isctl, args, message):
    api = FakeApi()
    result = isctl(
        "trigger", "create", "g", "--watch", "app", "--url", SSH_REPO, *args,
        transport=api.transport,
    )  # fmt: skip
    assert result.code == 2
    assert message in result.err
    assert api.requests == []
