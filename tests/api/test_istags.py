"""Image stream tags: read, list, delete, history, rollback, resolve."""

from __future__ import annotations

import pytest

from imagestreams.models import Tag
from imagestreams.models.streams import ReferencePolicy, SourceKind
from tests.api.conftest import url
from tests.factories import ImageFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db

ISTAGS = url("projects/team/imagestreamtags")


def test_an_istag_shows_its_current_image(viewer_api, python):
    body = viewer_api.get(f"{ISTAGS}/python:3.6").json()
    assert (body["name"], body["stream"], body["tag"]) == ("python:3.6", "python", "3.6")
    assert body["generation"] == python.new.generation
    assert body["spec"]["from"]["name"] == "quay.io/example/python:3.6"
    image = body["image"]
    assert image["digest"] == python.image.digest
    assert image["reference"] == python.new.docker_image_reference
    assert image["labels"] == {"v": "2"}
    assert (image["os"], image["architecture"]) == ("linux", "amd64")


def test_the_local_reference_policy_pulls_through_the_integrated_registry(
    viewer_api, python, settings
):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.local:5000"
    Tag.objects.filter(pk=python.tag.pk).update(reference_policy=ReferencePolicy.LOCAL)
    image = viewer_api.get(f"{ISTAGS}/python:3.6").json()["image"]
    assert image["reference"] == f"registry.local:5000/team/python@{python.image.digest}"
    resolved = viewer_api.get(url("resolve/team/python:3.6")).json()
    assert resolved["pull_spec"] == image["reference"]
    assert resolved["reference_policy"] == "Local"


def test_without_a_pull_hostname_the_integrated_registry_url_gives_the_host(
    viewer_api, python, settings
):
    settings.INTEGRATED_REGISTRY_URL = "http://registry.internal:5000"
    settings.INTERNAL_REGISTRY_HOSTNAME = ""
    Tag.objects.filter(pk=python.tag.pk).update(reference_policy=ReferencePolicy.LOCAL)

    stream = viewer_api.get(url("projects/team/imagestreams/python")).json()
    image = viewer_api.get(f"{ISTAGS}/python:3.6").json()["image"]

    assert stream["repository"] == "registry.internal:5000/team/python"
    assert image["reference"] == f"registry.internal:5000/team/python@{python.image.digest}"
    resolved = viewer_api.get(url("resolve/team/python:3.6")).json()
    assert resolved["pull_spec"] == image["reference"]


def test_a_tag_without_an_image_is_not_an_istag(viewer_api, python):
    TagFactory(stream=python.stream, name="pending")
    response = viewer_api.get(f"{ISTAGS}/python:pending")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        'image stream tag "python:pending" does not point to an image yet'
    )
    names = [t["name"] for t in viewer_api.get(ISTAGS).json()["results"]]
    assert names == ["python:3.6"]


def test_the_list_filters_by_stream(viewer_api, python):
    TagEventFactory(tag__stream__project=python.stream.project, tag__stream__name="ruby")
    assert viewer_api.get(ISTAGS).json()["count"] == 2
    only = viewer_api.get(f"{ISTAGS}?stream=python").json()["results"]
    assert [t["name"] for t in only] == ["python:3.6"]


def test_history_is_newest_first(viewer_api, python):
    items = viewer_api.get(f"{ISTAGS}/python:3.6/history").json()["items"]
    assert [i["image"] for i in items] == [python.new.image.digest, python.old.image.digest]
    assert set(items[0]) == {"created", "reference", "image", "generation", "cause", "actor"}


def test_delete_removes_the_tag_and_its_history(editor_api, python):
    response = editor_api.delete(f"{ISTAGS}/python:3.6")
    assert response.json() == {"message": "Deleted tag team/python:3.6."}
    assert not Tag.objects.exists()
    assert editor_api.delete(f"{ISTAGS}/python:3.6").status_code == 404


def test_rollback_one_step_pins_the_previous_image(editor_api, python):
    response = editor_api.post(f"{ISTAGS}/python:3.6/rollback", {})
    assert response.status_code == 200
    body = response.json()
    assert body["message"].startswith(f"Tag python:3.6 rolled back to {python.old.image.digest}.")
    assert "no longer follows quay.io/example/python:3.6" in body["message"]
    assert body["tag"]["image"]["digest"] == python.old.image.digest
    assert body["tag"]["spec"]["from"]["kind"] == SourceKind.IMAGE_STREAM_IMAGE
    history = editor_api.get(f"{ISTAGS}/python:3.6/history").json()["items"]
    head = history[0]
    assert (head["image"], head["cause"], head["actor"]) == (
        python.old.image.digest,
        "rollback",
        "editor",
    )
    assert len(history) == 3


def test_rollback_to_a_digest_prefix(editor_api, python):
    newest = ImageFactory(digest="sha256:" + "c" * 64)
    TagEventFactory(tag=python.tag, image=newest, generation=3)
    body = editor_api.post(f"{ISTAGS}/python:3.6/rollback", {"to": "aaaa"}).json()
    assert body["tag"]["image"]["digest"] == python.old.image.digest


def test_rollback_refuses_what_it_cannot_do(editor_api, python):
    both = editor_api.post(f"{ISTAGS}/python:3.6/rollback", {"to": "aaaa", "steps": 1})
    assert both.status_code == 400
    too_far = editor_api.post(f"{ISTAGS}/python:3.6/rollback", {"steps": 5})
    assert too_far.status_code == 400
    assert "cannot roll back 5 step(s)" in too_far.json()["detail"]
    unknown = editor_api.post(f"{ISTAGS}/python:3.6/rollback", {"to": "ffff"})
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "to"


def test_resolve_gives_the_pull_spec_by_digest(viewer_api, python):
    body = viewer_api.get(url("resolve/team/python:3.6")).json()
    assert body == {
        "project": "team",
        "stream": "python",
        "tag": "3.6",
        "pull_spec": python.new.docker_image_reference,
        "digest": python.image.digest,
        "reference_policy": "Source",
    }
