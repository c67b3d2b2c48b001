"""`oc tag` and `oc tag -d` through the API, without a registry."""

from __future__ import annotations

import pytest

from imagestreams.access import acting
from imagestreams.models import Tag
from imagestreams.services.projects import membership_set, project_create
from tests.api.conftest import url
from tests.factories import TagEventFactory

pytestmark = pytest.mark.django_db

TAG = url("projects/team/tag")
UNTAG = url("projects/team/untag")


def test_tagging_pins_the_image_the_source_has_now(editor_api, python):
    response = editor_api.post(TAG, {"source": "python:3.6", "destinations": ["python:latest"]})
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "destination": "python:latest",
                "message": f"Tag python:latest set to python@{python.image.digest}.",
            }
        ]
    }
    latest = editor_api.get(url("projects/team/imagestreamtags/python:latest/history")).json()
    [event] = latest["items"]
    assert (event["image"], event["cause"], event["actor"]) == (
        python.image.digest,
        "tag",
        "editor",
    )


def test_several_destinations_and_an_alias(editor_api, python):
    response = editor_api.post(
        TAG, {"source": "python:3.6", "destinations": ["python:a", "python:b"], "alias": True}
    )
    messages = [r["message"] for r in response.json()["results"]]
    assert messages == [
        "Tag python:a set up to track python:3.6.",
        "Tag python:b set up to track python:3.6.",
    ]


def test_invalid_combinations_are_refused_before_anything_is_written(editor_api, python):
    response = editor_api.post(
        TAG, {"source": "python:3.6", "destinations": ["python:ok", "bad"], "alias": False}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == '"bad" must be of the form <stream_name>:<tag>'
    assert not Tag.objects.filter(name="ok").exists()
    response = editor_api.post(
        TAG, {"source": "python:3.6", "destinations": ["python:x"], "scheduled": True}
    )
    assert response.json()["detail"] == "only container images can have importing flags set"
    response = editor_api.post(
        TAG, {"source": "python:3.6", "destinations": ["python:x"], "reference_policy": "nearby"}
    )
    assert response.json()["detail"] == "reference policy must be set to 'source' or 'local'"


def test_an_ambiguous_image_source_is_409(editor_api, python):
    TagEventFactory(tag__stream=python.stream, image__digest="sha256:" + "a" * 63 + "f")
    response = editor_api.post(TAG, {"source": "python@aaaa", "destinations": ["python:x"]})
    assert response.status_code == 409


def test_a_source_in_another_project_needs_the_view_right_there(editor_api, personas, python):
    other = project_create(name="base", by=acting(personas["admin"], "task"))
    TagEventFactory(tag__stream__project=other, tag__stream__name="os", tag__name="1")
    body = {"source": "base/os:1", "destinations": ["os:1"]}
    assert editor_api.post(TAG, body).status_code == 404
    membership_set(project=other, user=personas["editor"], role="viewer")
    response = editor_api.post(TAG, body)
    assert response.status_code == 200
    assert response.json()["results"][0]["message"].startswith("Tag os:1 set to base/os@sha256:")


def test_untag_deletes_every_destination(editor_api, python):
    editor_api.post(TAG, {"source": "python:3.6", "destinations": ["python:latest"]})
    response = editor_api.post(UNTAG, {"destinations": ["python:3.6", "python:latest"]})
    assert response.json() == {
        "messages": ["Deleted tag team/python:3.6.", "Deleted tag team/python:latest."]
    }
    assert not Tag.objects.exists()


def test_untag_of_a_missing_tag_deletes_nothing(editor_api, python):
    response = editor_api.post(UNTAG, {"destinations": ["python:3.6", "python:nope"]})
    assert response.status_code == 404
    assert Tag.objects.filter(name="3.6").exists()


def test_untag_in_another_project_needs_the_edit_right_there(editor_api, personas, python):
    other = project_create(name="base", by=acting(personas["admin"], "task"))
    TagEventFactory(tag__stream__project=other, tag__stream__name="os", tag__name="1")
    membership_set(project=other, user=personas["editor"], role="viewer")
    response = editor_api.post(UNTAG, {"destinations": ["base/os:1"]})
    assert response.status_code == 403
    assert Tag.objects.filter(name="1").exists()


def test_destinations_are_required(editor_api, python):
    for body in ({"source": "python:3.6"}, {"source": "python:3.6", "destinations": []}):
        response = editor_api.post(TAG, body)
        assert (response.status_code, response.json()["field"]) == (400, "destinations")


def _spec(name: str) -> tuple:
    tag = Tag.objects.get(stream__name="python", name=name)
    return tag.from_kind, tag.from_name, tag.generation


def test_an_alias_that_would_close_a_loop_is_refused_and_changes_nothing(editor_api, python):
    alias = {"source": "python:3.6", "destinations": ["python:stable"], "alias": True}
    assert editor_api.post(TAG, alias).status_code == 200
    before = _spec("3.6")

    response = editor_api.post(
        TAG, {"source": "python:stable", "destinations": ["python:3.6"], "alias": True}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        'cannot make "3.6" an alias of "stable": reference tag is circular (3.6 -> stable -> 3.6)'
    )
    assert _spec("3.6") == before


def test_longer_alias_loops_are_refused_with_every_destination(editor_api, python):
    for source, destination in (("3.6", "a"), ("a", "b")):
        body = {"source": f"python:{source}", "destinations": [f"python:{destination}"]}
        assert editor_api.post(TAG, body | {"alias": True}).status_code == 200
    before = _spec("3.6")

    response = editor_api.post(
        TAG, {"source": "python:b", "destinations": ["python:x", "python:3.6"], "alias": True}
    )

    assert response.status_code == 400
    assert "reference tag is circular (3.6 -> b -> a -> 3.6)" in response.json()["detail"]
    assert _spec("3.6") == before
    assert not Tag.objects.filter(name="x").exists()
    # Following the chain the other way round is no loop.
    body = {"source": "python:b", "destinations": ["python:c"], "alias": True}
    assert editor_api.post(TAG, body).status_code == 200
