"""Describing one stream builds its answer from plain rows: the bytes must be
those of ImageStreamSerializer (what lists and updates answer with)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from imagestreams.api.serializers.streams import ImageStreamSerializer
from imagestreams.models import TagEvent
from imagestreams.models.streams import SourceKind
from imagestreams.selectors import streams
from imagestreams.selectors.streams import stream_detail
from tests.api.conftest import url
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(team, settings):
    """A stream with every kind of tag the description distinguishes."""
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.example:5000"
    stream = StreamFactory(
        project=team,
        name="varied",
        annotations={"owner": "ops", "note": "ünïcode"},
        repository_checked_at=timezone.now(),
        lookup_local=True,
    )
    imported = TagFactory(stream=stream, name="1.0", annotations={"k": "v"}, scheduled=True)
    for generation in (1, 2, 3):
        TagEventFactory(tag=imported, generation=generation, actor="eddie")
    pending = TagFactory(stream=stream, name="next", generation=5)
    TagEventFactory(tag=pending, generation=4, image=ImageFactory())
    failed = TagFactory(
        stream=stream,
        name="broken",
        condition_reason="NotFound",
        condition_message="no such tag",
        condition_generation=2,
        condition_time=timezone.now(),
        generation=2,
    )
    TagEvent.objects.create(tag=failed, docker_image_reference="x", generation=1, cause="import")
    TagFactory(
        stream=stream,
        name="alias",
        from_kind=SourceKind.IMAGE_STREAM_TAG,
        from_name="1.0",
        from_namespace="team",
    )
    pushed = TagFactory(stream=stream, name="pushed", has_spec=False, from_kind="", from_name="")
    TagEventFactory(tag=pushed, generation=0, cause="push")
    TagFactory(stream=stream, name="empty", reference=True)
    return stream


@pytest.mark.parametrize("chunk", [streams.HISTORY_CHUNK, 2])
def test_the_description_is_the_serializers_byte_for_byte(viewer_api, varied, chunk, monkeypatch):
    # Histories are read in chunks of tags (one statement each for small streams).
    monkeypatch.setattr(streams, "HISTORY_CHUNK", chunk)
    response = viewer_api.get(url("projects/team/imagestreams/varied"))
    assert response.status_code == 200
    expected = JSONRenderer().render(
        ImageStreamSerializer(stream_detail(project=varied.project, name="varied")).data
    )
    assert response.content == expected
    tags = response.json()["tags"]
    assert [t["name"] for t in tags] == ["1.0", "alias", "broken", "empty", "next", "pushed"]
    shown = {t["name"]: t for t in tags}
    assert [i["generation"] for i in shown["1.0"]["items"]] == [3, 2, 1]
    assert shown["next"]["import_pending"] and not shown["1.0"]["import_pending"]
    assert shown["broken"]["items"][0]["image"] == ""
    assert shown["pushed"]["spec"] is None
    assert response["Content-Type"] == "application/json"
