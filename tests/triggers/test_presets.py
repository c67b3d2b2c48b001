"""Each preset sends exactly the request its service expects (checked at a
local receiver standing in for api.github.com and a GitLab instance)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from imagestreams.access import acting_system
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from triggers.models import Delivery

pytestmark = pytest.mark.django_db

DIGEST = "sha256:" + "7" * 64


@pytest.fixture
def move_tag(team, django_capture_on_commit_callbacks):
    """Point team/app:1 at a new image; the deliveries are sent."""
    base = StreamFactory(project=team, name="base")
    TagEventFactory(tag=TagFactory(stream=base, name="1"), image=ImageFactory(digest=DIGEST))

    def move() -> Delivery:
        with django_capture_on_commit_callbacks(execute=True):
            tag_set(
                project=team,
                source="base:1",
                destinations=["app:1"],
                by=acting_system("task", "ci"),
            )
        return Delivery.objects.get()

    return move


def create(editor_api, body: dict) -> dict:
    response = editor_api.post("/api/v1/projects/team/triggers", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_github_repository_dispatch(editor_api, receiver, move_tag):
    trigger = create(
        editor_api,
        {
            "name": "gh",
            "stream": "app",
            "preset": "github",
            "token": "ghp_example",
            "options": {
                "repository": "acme/deploy",
                "event_type": "image-changed",
                "api_url": receiver.url,
            },
        },
    )
    assert trigger["url"] == f"{receiver.url}/repos/acme/deploy/dispatches"
    delivery = move_tag()

    [request] = receiver.wait_for(1)
    assert request.path == "/repos/acme/deploy/dispatches"
    assert request.headers["authorization"] == "Bearer ghp_example"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert body["event_type"] == "image-changed"
    assert body["client_payload"] == {
        "version": 1,
        "delivery_id": str(delivery.uuid),
        "project": "team",
        "stream": "app",
        "tag": "1",
        "digest": DIGEST,
        "previous_digest": "",
        "pull_spec": f"quay.io/example/app@{DIGEST}",
        "cause": "tag",
        "time": body["client_payload"]["time"],
    }
    assert len(body["client_payload"]) <= 10  # GitHub's limit


def test_github_defaults_to_api_github_com(editor_api, team):
    trigger = create(
        editor_api,
        {
            "name": "gh",
            "stream": "app",
            "preset": "github",
            "token": "t",
            "options": {"repository": "acme/deploy"},
        },
    )
    assert trigger["url"] == "https://api.github.com/repos/acme/deploy/dispatches"


def test_gitlab_pipeline_trigger(editor_api, receiver, move_tag):
    create(
        editor_api,
        {
            "name": "gl",
            "stream": "app",
            "tag": "1",
            "preset": "gitlab",
            "token": "glptt-example",
            "options": {
                "project": "group/app",
                "ref": "main",
                "gitlab_url": receiver.url,
                "variables": {"DEPLOY_ENV": "staging", "IMAGE_DIGEST": "spoofed"},
            },
        },
    )
    delivery = move_tag()

    [request] = receiver.wait_for(1)
    assert request.path == "/api/v4/projects/group%2Fapp/trigger/pipeline"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(request.body.decode(), keep_blank_values=True)) == {
        "token": "glptt-example",
        "ref": "main",
        "variables[DEPLOY_ENV]": "staging",
        "variables[IMAGESTREAM_PROJECT]": "team",
        "variables[IMAGESTREAM_NAME]": "app",
        "variables[IMAGESTREAM_TAG]": "1",
        "variables[IMAGE_DIGEST]": DIGEST,
        "variables[IMAGE_PREVIOUS_DIGEST]": "",
        "variables[IMAGE_PULL_SPEC]": f"quay.io/example/app@{DIGEST}",
        "variables[IMAGE_CHANGE_CAUSE]": "tag",
        "variables[IMAGESTREAMS_DELIVERY_ID]": str(delivery.uuid),
    }


def test_generic_webhook_sends_its_token_as_a_bearer(editor_api, receiver, move_tag):
    create(
        editor_api,
        {"name": "hook", "stream": "app", "url": f"{receiver.url}/in", "token": "tok"},
    )
    move_tag()
    [request] = receiver.wait_for(1)
    assert request.headers["authorization"] == "Bearer tok"
    assert "x-imagestreams-signature" not in request.headers  # no secret, no signature
    assert json.loads(request.body)["actor"] == "ci"


def test_new_options_move_a_derived_url_but_not_a_given_one(editor_api, team):
    derived = {"name": "gh", "stream": "app", "preset": "github", "token": "t"}
    create(editor_api, derived | {"options": {"repository": "acme/deploy"}})
    given = "https://github.example.com/api/v3/repos/acme/deploy/dispatches"
    create(editor_api, derived | {"name": "ghe", "url": given, "options": {}})
    for name in ("gh", "ghe"):
        response = editor_api.patch(
            f"/api/v1/projects/team/triggers/{name}",
            {"options": {"repository": "acme/other", "event_type": "image"}},
            format="json",
        )
        assert response.status_code == 200, response.json()
    triggers = {
        t["name"]: t["url"]
        for t in editor_api.get("/api/v1/projects/team/triggers").json()["results"]
    }
    assert triggers == {
        "gh": "https://api.github.com/repos/acme/other/dispatches",
        "ghe": given,
    }
