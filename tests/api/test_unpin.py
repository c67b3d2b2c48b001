"""Following the upstream again after a pin: a rollback, or tagging an exact
image into a tag that followed something (`isctl unpin`), without a registry."""

from __future__ import annotations

import pytest

from imagestreams.models import Tag
from imagestreams.models.streams import SourceKind
from tests.api.conftest import url

pytestmark = pytest.mark.django_db

TAG = url("projects/team/tag")


def unpin(api, istag: str):
    return api.post(url(f"projects/team/imagestreamtags/{istag}/unpin"), {}, format="json")


def test_an_alias_pinned_to_an_exact_image_tracks_its_tag_again(editor_api, python):
    editor_api.post(TAG, {"source": "python:3.6", "destinations": ["python:dev"], "alias": True})
    exact = f"python@{python.old.image.digest}"
    response = editor_api.post(TAG, {"source": exact, "destinations": ["python:dev"]})
    assert response.status_code == 200
    dev = Tag.objects.get(name="dev")
    assert dev.from_kind == SourceKind.IMAGE_STREAM_IMAGE
    assert dev.pinned_from["name"] == "python:3.6"

    response = unpin(editor_api, "python:dev")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Tag python:dev follows python:3.6 again; it is current."
    assert body["tag"]["image"]["digest"] == python.image.digest
    dev.refresh_from_db()
    assert (dev.from_kind, dev.pinned_from) == (SourceKind.IMAGE_STREAM_TAG, {})


def test_a_rollback_of_a_scheduled_tag_is_undone_with_its_flags(editor_api, python):
    Tag.objects.filter(pk=python.tag.pk).update(scheduled=True, reference_policy="Local")
    rollback = url("projects/team/imagestreamtags/python:3.6/rollback")
    answer = editor_api.post(rollback, {}, format="json").json()
    assert "`isctl unpin python:3.6` (or Follow upstream again) resumes it" in answer["message"]
    # A second rollback keeps what the tag followed before the first one.
    editor_api.post(rollback, {}, format="json")

    response = unpin(editor_api, "python:3.6")
    assert response.status_code == 200
    assert response.json()["message"] == (
        "Tag python:3.6 follows quay.io/example/python:3.6 again; an import was requested."
    )
    tag = Tag.objects.get(pk=python.tag.pk)
    assert (tag.from_kind, tag.from_name) == (SourceKind.DOCKER_IMAGE, "quay.io/example/python:3.6")
    assert (tag.scheduled, tag.reference_policy, tag.pinned_from) == (True, "Local", {})
    assert tag.import_requested_by == "editor"


def test_tagging_a_followable_source_forgets_the_pin(editor_api, python):
    editor_api.post(url("projects/team/imagestreamtags/python:3.6/rollback"), {}, format="json")
    source = {"source": "quay.io/example/python:3.7", "destinations": ["python:3.6"]}
    assert editor_api.post(TAG, source).status_code == 200
    assert Tag.objects.get(pk=python.tag.pk).pinned_from == {}
    response = unpin(editor_api, "python:3.6")
    assert response.status_code == 400
    assert "is not pinned" in response.json()["detail"]


def test_a_tag_that_never_followed_anything_is_not_pinned(editor_api, python):
    exact = f"python@{python.old.image.digest}"
    editor_api.post(TAG, {"source": exact, "destinations": ["python:fixed"]})
    assert Tag.objects.get(name="fixed").pinned_from == {}
    assert unpin(editor_api, "python:fixed").status_code == 400


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404)])
def test_only_editors_unpin(api_as, python, persona, status):
    assert unpin(api_as(persona), "python:3.6").status_code == status
