"""PUT …/imagestreamtags/{istag}/policy: follow the highest matching upstream tag."""

from __future__ import annotations

import pytest

from imagestreams.models import Tag
from tests.api.conftest import url

pytestmark = [pytest.mark.django_db, pytest.mark.registry]


@pytest.fixture
def repository(registry, pusher, unique_repo):
    client = pusher(registry)
    pushed = {
        tag: client.push_image(unique_repo, tag, text=tag)
        for tag in ["1.0.0", "1.2.0", "1.10.1", "2.0.0", "nightly"]
    }
    return f"{registry.host}/{unique_repo}", pushed


@pytest.fixture
def app_stable(editor_api, team, repository):
    repo, _ = repository
    response = editor_api.post(
        url("projects/team/imports"),
        {"target": "app:stable", "from": f"{repo}:1.0.0", "confirm": True, "insecure": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    return url("projects/team/imagestreamtags/app:stable/policy")


def test_a_semver_policy_moves_the_tag_to_the_highest_match(
    editor_api, app_stable, repository, django_capture_on_commit_callbacks
):
    repo, pushed = repository
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.put(
            app_stable, {"policy": {"kind": "semver", "range": ">=1.0.0 <2.0.0"}}, format="json"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["chosen_tag"] == "1.10.1"
    tag = Tag.objects.get(name="stable")
    assert (tag.from_name, tag.scheduled) == (f"{repo}:1.10.1", True)
    assert tag.events.first().image.digest == pushed["1.10.1"].digest
    assert body["message"].endswith("now at 1.10.1.")


def test_a_policy_matching_nothing_is_refused_and_changes_nothing(
    editor_api, app_stable, repository
):
    repo, _ = repository
    response = editor_api.put(
        app_stable, {"policy": {"kind": "semver", "range": ">=9"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "policy"
    assert Tag.objects.get(name="stable").from_name == f"{repo}:1.0.0"


def test_an_invalid_policy_is_a_clear_400(editor_api, app_stable):
    response = editor_api.put(app_stable, {"policy": {"kind": "fancy"}}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["detail"]


def test_removing_the_policy(editor_api, app_stable):
    editor_api.put(
        app_stable,
        {"policy": {"kind": "numerical", "order": "asc", "pattern": r"^\d+\.\d+\.\d+$"}},
        format="json",
    )
    response = editor_api.put(app_stable, {"policy": None}, format="json")
    assert response.status_code == 200
    assert Tag.objects.get(name="stable").policy == {}
