"""Image references whose registry host no HTTP client can request (such as
IPv4 addresses with leading zeros) are refused with a 400 when they are
given, and an import that fails in an unexpected way is recorded as a
failure: it neither answers 500 nor leaves a tag "import pending" for ever."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageStream, Tag
from imagestreams.services import imports
from imagestreams.tasks import imports_reconcile_pending, pending_import_tags, tag_import_task
from tests.api.conftest import url
from tests.factories import StreamFactory, TagFactory

pytestmark = pytest.mark.django_db

IMPORTS = url("projects/team/imports")
TAG = url("projects/team/tag")
MALFORMED = ["0177.0.0.1/app:1", "127.000.000.001:5000/team/app:1", "quay.io:99999/app:1"]


@pytest.mark.parametrize("source", MALFORMED)
def test_an_import_from_a_malformed_host_is_refused(editor_api, team, source):
    body = {"target": "app:1", "from": source, "confirm": True}
    response = editor_api.post(IMPORTS, body, format="json")
    assert response.status_code == 400, response.content
    assert "is not a valid registry host" in response.json()["detail"]
    assert not ImageStream.objects.exists()


def test_import_image_without_from_checks_the_target_too(editor_api, team):
    response = editor_api.post(IMPORTS, {"target": MALFORMED[0], "confirm": True}, format="json")
    assert response.status_code == 400, response.content
    assert '"0177.0.0.1" is not an IPv4 address' in response.json()["detail"]


@pytest.mark.parametrize("source", MALFORMED)
def test_tagging_from_a_malformed_host_is_refused(editor_api, team, source):
    response = editor_api.post(TAG, {"source": source, "destinations": ["app:1"]}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "source"
    assert "is not a valid registry host" in response.json()["detail"]
    assert not Tag.objects.exists()


@pytest.fixture
def pending(team, settings):
    """`pending(source)`: a tag whose import is pending from `source`."""
    settings.IMPORT_ALLOW_PRIVATE_ADDRESSES = True
    stream = StreamFactory(project=team, name="app")

    def make(source: str) -> Tag:
        tag = TagFactory(stream=stream, name="1", from_name=source, generation=1)
        assert list(pending_import_tags()) == [tag]
        return tag

    return make


def test_a_source_saved_before_it_was_checked_fails_once(pending):
    tag = pending(MALFORMED[0])
    assert tag_import_task(tag.pk) == "Failure"
    tag.refresh_from_db()
    assert tag.condition_reason == "Invalid"
    assert "is not an IPv4 address" in tag.condition_message
    assert not pending_import_tags().exists()
    assert imports_reconcile_pending() == 0  # not queued again and again


def test_an_unexpected_error_while_importing_is_recorded_as_a_failure(pending, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(imports, "fetch_image", broken)
    tag = pending("quay.io/org/app:1")
    assert tag_import_task(tag.pk) == "Failure"
    tag.refresh_from_db()
    assert tag.condition_reason == "InternalError"
    assert "unexpected error while importing: RuntimeError" in tag.condition_message
    assert not pending_import_tags().exists()
