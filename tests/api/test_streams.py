"""Image streams: create, read, list, update with a precondition, delete."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageStream, Tag
from tests.api.conftest import url

pytestmark = pytest.mark.django_db

STREAMS = url("projects/team/imagestreams")


def test_a_new_stream_is_empty(editor_api, team):
    response = editor_api.post(
        STREAMS, {"name": "ruby", "lookup_local": True, "annotations": {"owner": "web"}}
    )
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "name": "ruby",
        "project": "team",
        "created": body["created"],
        "generation": 1,
        "lookup_local": True,
        "annotations": {"owner": "web"},
        "repository": "",
        "spec_repository": "",
        "tags": [],
    }


def test_the_repository_is_in_the_integrated_registry(editor_api, team, settings):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.local:5000"
    response = editor_api.post(STREAMS, {"name": "ruby"})
    assert response.json()["repository"] == "registry.local:5000/team/ruby"


def test_stream_names_are_validated_and_unique(editor_api, python):
    bad = editor_api.post(STREAMS, {"name": "Ruby!"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "name"
    taken = editor_api.post(STREAMS, {"name": "python"})
    assert taken.status_code == 409
    assert taken.json()["detail"] == 'image stream "python" already exists'


def test_a_stream_shows_its_tags_spec_and_history(viewer_api, python):
    body = viewer_api.get(f"{STREAMS}/python").json()
    [tag] = body["tags"]
    assert tag["name"] == "3.6"
    assert tag["spec"]["from"] == {
        "kind": "DockerImage",
        "name": "quay.io/example/python:3.6",
        "namespace": "",
    }
    assert [item["image"] for item in tag["items"]] == [
        python.new.image.digest,
        python.old.image.digest,
    ]
    assert tag["items"][0]["reference"] == python.new.docker_image_reference
    assert tag["conditions"] == []
    assert tag["import_pending"] is False


def test_a_failed_import_shows_as_a_condition(viewer_api, python):
    Tag.objects.filter(pk=python.tag.pk).update(
        condition_reason="NotFound", condition_message="manifest unknown", condition_generation=3
    )
    [tag] = viewer_api.get(f"{STREAMS}/python").json()["tags"]
    [condition] = tag["conditions"]
    assert condition["type"] == "ImportSuccess"
    assert (condition["status"], condition["reason"]) == ("False", "NotFound")
    assert condition["generation"] == 3


def test_a_push_only_tag_has_no_spec(viewer_api, python):
    Tag.objects.filter(pk=python.tag.pk).update(has_spec=False, from_kind="", from_name="")
    [tag] = viewer_api.get(f"{STREAMS}/python").json()["tags"]
    assert tag["spec"] is None


def test_the_list_searches_names(viewer_api, editor_api, python):
    for name in ("python-base", "ruby"):
        editor_api.post(STREAMS, {"name": name})
    names = [s["name"] for s in viewer_api.get(f"{STREAMS}?search=pyth").json()["results"]]
    assert names == ["python", "python-base"]


def test_patch_changes_only_what_it_names(editor_api, python):
    editor_api.patch(f"{STREAMS}/python", {"annotations": {"a": "1", "b": "2"}})
    body = editor_api.patch(f"{STREAMS}/python", {"lookup_local": True}).json()
    assert (body["lookup_local"], body["annotations"]) == (True, {"a": "1", "b": "2"})
    body = editor_api.patch(f"{STREAMS}/python", {"annotations": {"b": "3"}}).json()
    assert body["annotations"] == {"b": "3"}
    assert body["generation"] == 4


def test_patch_without_a_change_keeps_the_generation(editor_api, python):
    body = editor_api.patch(f"{STREAMS}/python", {"lookup_local": False, "generation": 1}).json()
    assert body["generation"] == 1


def test_delete_removes_the_stream_with_its_tags(editor_api, python):
    response = editor_api.delete(f"{STREAMS}/python")
    assert response.status_code == 204
    assert not ImageStream.objects.exists()
    assert not Tag.objects.exists()
    assert editor_api.delete(f"{STREAMS}/python").status_code == 404
