"""The trigger pages for Git write-backs: added with their updates, a dry
run shows the diff, and the delivery log shows each commit and its diff."""

from __future__ import annotations

import re

import pytest

from imagestreams.services.history import NewEvent, tag_add_event
from tests.factories import ImageFactory, StreamFactory, TagFactory
from tests.triggers.outbox import fan_out
from tests.web.conftest import HTMX, page_text
from triggers.models import Trigger
from triggers.services.deliveries import delivery_send

pytestmark = pytest.mark.django_db

LIST = "/p/team/triggers/"
PAGE = "/p/team/triggers/gitops/"
VALUES = "image:\n  repository: old/app  # ours\n  digest: ''\n"


@pytest.fixture(autouse=True)
def loopback(settings):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def python_tag(project):
    return TagFactory(stream=StreamFactory(project=project, name="python"), name="3.6")


def visible(html: str) -> str:
    """The text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def move(tag, digest_seed: str):
    image = ImageFactory(digest="sha256:" + digest_seed * 64)
    tag_add_event(tag, NewEvent(f"quay.io/example/app@{image.digest}", image, 1, "import"))
    return image


def add_trigger(eddie, git_server, **fields):
    data = {
        "name": "gitops",
        "stream": "python",
        "tag": "3.6",
        "preset": "git",
        "url": git_server.url(),
        "token": git_server.token,
        "git_updates": "- {file: chart/values.yaml, type: helm}\n",
        "git_push_branch": "deploy",
        "git_username": git_server.username,
        **fields,
    }
    return eddie.post(LIST, data, headers=HTMX)


def test_an_editor_adds_a_write_back_and_a_dry_run_shows_the_diff(
    eddie, project, python_tag, git_server
):
    git_server.create({"chart/values.yaml": VALUES})
    image = move(python_tag, "c")

    assert add_trigger(eddie, git_server)["HX-Redirect"] == PAGE
    trigger = Trigger.objects.get(name="gitops")
    assert trigger.options["updates"] == [{"file": "chart/values.yaml", "type": "helm",
                                           "repository": "image.repository",
                                           "digest": "image.digest"}]  # fmt: skip
    html = page_text(eddie.get(PAGE))
    assert visible(html).count(
        "Writes to branch deploy (built from main): chart/values.yaml (helm)"
    )
    assert git_server.token not in html

    html = page_text(eddie.post(f"{PAGE}test", headers=HTMX))

    assert "Dry run: dry run: this diff would be committed; nothing was committed." in html
    assert f"+  digest: '{image.digest}'" in html
    assert git_server.log(ref="main") == ["Initial manifests"]


def test_the_delivery_log_shows_the_commit_and_its_diff(eddie, project, python_tag, git_server):
    git_server.create({"chart/values.yaml": VALUES})
    git_server.username = "x-access-token"
    add_trigger(eddie, git_server)
    image = move(python_tag, "d")
    fan_out()
    [delivery_id] = Trigger.objects.get().deliveries.values_list("pk", flat=True)

    delivery_send(delivery_id)

    commit = git_server.git("rev-parse", "deploy").strip()
    html = page_text(eddie.get(PAGE))
    assert f"pushed {commit[:12]} to deploy" in html
    assert f"commit {commit[:12]}" in visible(html)
    assert "+  repository: quay.io/example/app  # ours" in html
    assert image.digest in html


def test_invalid_updates_are_explained_and_nothing_is_created(eddie, project, git_server):
    html = page_text(add_trigger(eddie, git_server, git_updates="- {file: ../x.yaml, type: helm}"))
    assert "must be a relative path inside the repository" in html
    html = page_text(add_trigger(eddie, git_server, git_updates="file: [unclosed"))
    assert "not valid YAML" in html
    html = page_text(add_trigger(eddie, git_server, git_updates=""))
    assert "updates must be a list of 1 to 50 updates" in html
    assert not Trigger.objects.exists()


def test_a_write_back_over_ssh_is_added_tested_and_edited_without_showing_the_key(
    eddie, project, python_tag, git_server, ssh_server
):
    git_server.create({"chart/values.yaml": VALUES})
    move(python_tag, "c")
    key_line = ssh_server.client_key.splitlines()[1]
    ssh = {"url": ssh_server.url(), "token": "", "ssh_key": ssh_server.client_key}

    refused = page_text(add_trigger(eddie, git_server, **ssh))
    assert "known_hosts is required for an SSH URL" in refused
    assert key_line not in refused  # the form comes back without the key typed in

    added = add_trigger(eddie, git_server, **ssh, git_known_hosts=ssh_server.known_hosts)
    assert added["HX-Redirect"] == PAGE
    html = page_text(eddie.post(f"{PAGE}test", headers=HTMX))
    assert "Dry run: dry run: this diff would be committed; nothing was committed." in html
    assert key_line not in html

    edit = page_text(eddie.get(f"{PAGE}edit"))
    assert ssh_server.known_hosts in edit and key_line not in edit
    assert "Empty: keep the current one" in edit
    stored = Trigger.objects.get().ssh_key_encrypted
    response = eddie.post(
        f"{PAGE}edit",
        {
            "stream": "python", "tag": "3.6", "preset": "git", "url": ssh_server.url(),
            "git_updates": "- {file: chart/values.yaml, type: helm}\n",
            "git_known_hosts": ssh_server.host_key, "git_push_branch": "review",
        },
    )  # fmt: skip
    assert response.status_code == 302
    trigger = Trigger.objects.get()
    assert (trigger.ssh_key_encrypted, trigger.options["push_branch"]) == (stored, "review")
