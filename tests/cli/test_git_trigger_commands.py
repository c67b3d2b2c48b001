"""`isctl trigger … --kind git` against a live server, a real registry whose
images move the watched tag, and a real Git server (git http-backend)."""

from __future__ import annotations

import pytest

from tests.cli.live import LIVE, login, ok, steady

pytestmark = LIVE

KUSTOMIZATION = "images:\n  - name: app  # ours\n    newTag: v1\n"


@pytest.fixture
def server(live_server, team, settings) -> str:
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True  # the Git server listens on loopback
    return live_server.url


@pytest.fixture
def app_repo(registry, pusher, unique_repo) -> str:
    client = pusher(registry)
    for tag in ("1", "2"):
        client.push_image(unique_repo, tag, text=tag)
    return f"{registry.host}/{unique_repo}"


def test_create_dry_run_commit_and_describe_a_git_write_back(isctl, server, app_repo, git_server):
    git_server.create({"overlays/prod/kustomization.yaml": KUSTOMIZATION})
    login(isctl, server)
    ok(isctl("import-image", "app:1", f"--from={app_repo}:1", "--confirm", "--insecure"))
    created = isctl(
        "trigger", "create", "deploy", "--watch", "app:1", "--kind", "git",
        "--url", git_server.url(), "--auth-token", "-", "--git-username", git_server.username,
        "--update", "file=overlays/prod/kustomization.yaml,type=kustomize,name=app",
        stdin=f"{git_server.token}\n",
    )  # fmt: skip
    assert ok(created) == "trigger/deploy created\n"

    dry_run = ok(isctl("trigger", "test", "deploy")).splitlines()
    assert dry_run[0].endswith(f"of {git_server.url()}: dry run: this diff would be committed")
    assert any(line.startswith("+    digest: sha256:") for line in dry_run)
    assert git_server.log() == ["Initial manifests"]

    ok(isctl("tag", f"{app_repo}:2", "app:1", "--insecure"))

    [deployed, _] = git_server.log()
    assert deployed.startswith("Deploy team/app:1 at sha256:")
    commit = git_server.git("rev-parse", "main").strip()
    described = steady(ok(isctl("trigger", "describe", "deploy")))
    assert "Kind:\t\tgit\n" in described
    assert "Last Delivery:\tAGE ago (written)\n" in described
    assert "updates[1]=file=overlays/prod/kustomization.yaml,name=app,type=kustomize" in described
    assert f"pushed {commit[:12]} to main" in described
    commits = described.split("\nCommits:\n", 1)[1].splitlines()
    assert commits[1].split()[:2] == [commit[:12], "app:1"]
    assert f"\nLast Diff ({commit[:12]}):\n" in described
    assert git_server.token not in described
