"""/imports and /tag against a real Distribution registry (plain HTTP, so
every request says "insecure": true)."""

from __future__ import annotations

import re

import pytest

from imagestreams.models import AuditEvent, ImageStream, Tag
from tests.api.conftest import url

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

IMPORTS = url("projects/team/imports")
TAG = url("projects/team/tag")


@pytest.fixture
def pushed(registry, pusher, unique_repo):
    return pusher(registry).push_image(
        unique_repo,
        "3.5",
        labels={"io.k8s.display-name": "Python 3.5"},
        env=["PYTHON_VERSION=3.5"],
        cmd=["python3"],
        layers=2,
    )


def test_import_image_with_confirm_creates_the_stream(editor_api, team, pushed):
    response = editor_api.post(
        IMPORTS,
        {"target": "python:3.5", "from": pushed.reference, "confirm": True, "insecure": True},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["message"], body["dry_run"], body["failed"]) == (
        "imagestream/python imported",
        False,
        False,
    )
    [status] = body["statuses"]
    assert (status["tag"], status["status"], status["digest"]) == ("3.5", "Success", pushed.digest)
    assert status["reference"] == pushed.pinned
    image = status["image"]
    assert image["labels"] == {"io.k8s.display-name": "Python 3.5"}
    assert image["env"] == ["PYTHON_VERSION=3.5"]
    assert len(image["layers"]) == 2
    assert image["imported"] is not None  # the stored image, with when we first saw it
    [tag] = body["stream"]["tags"]
    assert tag["spec"]["from"] == {"kind": "DockerImage", "name": pushed.reference, "namespace": ""}
    assert tag["spec"]["insecure"] is True
    assert [item["image"] for item in tag["items"]] == [pushed.digest]
    assert tag["items"][0]["actor"] == "editor"


def test_a_missing_stream_needs_confirm(editor_api, team, pushed):
    response = editor_api.post(
        IMPORTS, {"target": "python:3.5", "from": pushed.reference, "insecure": True}
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": 'no image stream named "python" exists, pass --confirm to create and import',
        "code": "invalid",
        "field": "target",
    }


def test_a_dry_run_shows_the_image_and_writes_nothing(editor_api, team, pushed):
    response = editor_api.post(
        IMPORTS,
        {
            "target": "python:3.5",
            "from": pushed.reference,
            "confirm": True,
            "insecure": True,
            "dry_run": True,
        },
    )
    body = response.json()
    assert body["message"] == "imagestream/python imported (dry run)"
    assert body["stream"] is None
    assert body["statuses"][0]["image"]["digest"] == pushed.digest
    assert not ImageStream.objects.exists()


def test_reimporting_an_unchanged_tag_still_shows_its_image(editor_api, team, pushed):
    first = {"target": "python:3.5", "from": pushed.reference, "confirm": True, "insecure": True}
    editor_api.post(IMPORTS, first)
    body = editor_api.post(IMPORTS, {"target": "python:3.5"}).json()
    [status] = body["statuses"]
    assert status["status"] == "Unchanged"
    assert status["image"]["digest"] == pushed.digest
    assert status["image"]["imported"] is not None


def test_an_import_stamps_the_stream_with_the_repository_check_as_openshift(
    editor_api, viewer_api, team, pushed
):
    check = "openshift.io/image.dockerRepositoryCheck"
    created = editor_api.post(url("projects/team/imagestreams"), {"name": "python"}).json()
    assert check not in created["annotations"]

    body = {"target": "python:3.5", "from": pushed.reference, "insecure": True}
    imported = editor_api.post(IMPORTS, body).json()["stream"]["annotations"]
    stream = viewer_api.get(url("projects/team/imagestreams/python")).json()

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", imported[check])
    assert stream["annotations"] == imported


def test_a_failed_import_reports_the_tag_and_keeps_the_last_image(
    editor_api, team, registry, pusher, pushed, unique_repo
):
    first = {"target": "python:3.5", "from": pushed.reference, "confirm": True, "insecure": True}
    editor_api.post(IMPORTS, first)
    pusher(registry).delete(unique_repo, pushed.digest)
    body = editor_api.post(IMPORTS, {"target": "python:3.5"}).json()
    assert (body["failed"], body["message"]) == (True, "imagestream/python imported with errors")
    [status] = body["statuses"]
    assert (status["status"], status["reason"], status["image"]) == ("Failure", "NotFound", None)
    [tag] = body["stream"]["tags"]
    assert tag["conditions"][0]["reason"] == "NotFound"
    assert [item["image"] for item in tag["items"]] == [pushed.digest]


def test_import_all_takes_the_whole_repository_within_the_limit(
    editor_api, team, registry, pusher, unique_repo, settings
):
    settings.MAX_IMAGES_BULK_IMPORTED = 2
    client = pusher(registry)
    for tag in ("1.0", "1.1", "latest"):
        client.push_image(unique_repo, tag, text=tag)
    body = editor_api.post(
        IMPORTS,
        {
            "target": "app",
            "from": f"{registry.host}/{unique_repo}",
            "all": True,
            "confirm": True,
            "insecure": True,
        },
    ).json()
    assert [s["tag"] for s in body["statuses"]] == ["latest", "1.1"]
    assert body["additional_tags"] == ["1.0"]
    assert body["stream"]["spec_repository"] == f"{registry.host}/{unique_repo}"


def test_one_import_request_is_one_generation_however_many_tags(
    editor_api, team, registry, pusher, unique_repo
):
    """OpenShift raises a stream's generation once per request; the tags, their
    new history entries and failures all carry that one generation."""
    client = pusher(registry)
    names = ["1.0", "1.1", "1.2", "2.0", "latest"]
    for name in names:
        client.push_image(unique_repo, name, text=f"{name} first")
    request = {"target": "app", "from": f"{registry.host}/{unique_repo}", "all": True}
    first = editor_api.post(IMPORTS, request | {"confirm": True, "insecure": True}).json()
    generation = first["stream"]["generation"]
    assert generation == 2  # created at 1, then one import request

    for name in names:
        client.push_image(unique_repo, name, text=f"{name} second")
    second = editor_api.post(IMPORTS, request | {"insecure": True}).json()

    assert [s["status"] for s in second["statuses"]] == ["Success"] * len(names)
    stream = second["stream"]
    assert stream["generation"] == generation + 1
    assert {t["spec"]["generation"] for t in stream["tags"]} == {generation + 1}
    assert {t["items"][0]["generation"] for t in stream["tags"]} == {generation + 1}
    assert not any(t["import_pending"] for t in stream["tags"])


def test_preserve_original_keeps_every_platform(
    editor_api, viewer_api, team, registry, pusher, unique_repo
):
    index = pusher(registry).push_image(
        unique_repo, "1", platforms=["linux/amd64", "linux/arm64/v8"]
    )
    body = editor_api.post(
        IMPORTS,
        {
            "target": "multi:1",
            "from": index.reference,
            "confirm": True,
            "insecure": True,
            "import_mode": "PreserveOriginal",
        },
    ).json()
    manifests = body["statuses"][0]["image"]["manifests"]
    assert {m["digest"] for m in manifests} == set(index.child_digests)
    arm = index.children["linux/arm64/v8"]
    child = viewer_api.get(url(f"projects/team/imagestreamimages/multi@{arm}")).json()
    assert (child["image"]["architecture"], child["image"]["variant"]) == ("arm64", "v8")


def test_tag_from_an_external_image_imports_it(
    editor_api, team, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.post(
            TAG,
            {"source": pushed.reference, "destinations": ["python:3.5"], "insecure": True},
        )
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"destination": "python:3.5", "message": f"Tag python:3.5 set to {pushed.reference}."}
    ]
    istag = editor_api.get(url("projects/team/imagestreamtags/python:3.5")).json()
    assert istag["image"]["digest"] == pushed.digest
    assert istag["image"]["labels"] == {"io.k8s.display-name": "Python 3.5"}


def test_tag_scheduled_and_back(editor_api, team, pushed, django_capture_on_commit_callbacks):
    body = {"source": pushed.reference, "destinations": ["python:3.5"], "insecure": True}
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.post(TAG, {**body, "scheduled": True})
    assert response.json()["results"][0]["message"] == (
        f"Tag python:3.5 set to import {pushed.reference} periodically."
    )
    stream = editor_api.get(url("projects/team/imagestreams/python")).json()
    assert stream["tags"][0]["spec"]["scheduled"] is True
    with django_capture_on_commit_callbacks(execute=True):
        editor_api.post(TAG, body)
    stream = editor_api.get(url("projects/team/imagestreams/python")).json()
    assert stream["tags"][0]["spec"]["scheduled"] is False
    assert [item["image"] for item in stream["tags"][0]["items"]] == [pushed.digest]


def test_a_tag_from_an_external_image_is_imported_as_the_person_who_asked(
    editor_api, team, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.post(
            TAG, {"source": pushed.reference, "destinations": ["python:3.5"], "insecure": True}
        )
    assert response.status_code == 200, response.content
    event = Tag.objects.get(name="3.5").events.get()
    assert (event.image.digest, event.actor) == (pushed.digest, "editor")
    imported = AuditEvent.objects.get(action="tag.import")
    assert (imported.actor, imported.interface) == ("editor", "api")
