"""Lists cost a constant number of queries however many rows and history
entries they show (no N+1)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from imagestreams.models import Image, ImageManifest, ImageStream, Tag, TagEvent
from imagestreams.models.streams import EventCause
from tests.api.conftest import url
from tests.factories import fake_digest

pytestmark = pytest.mark.django_db

SIZES = [(1, 1, 1), (12, 5, 8)]  # streams, tags per stream, history entries per tag


def build(project, streams: int, tags: int, history: int) -> None:
    """Streams whose tags have long histories of multi-platform images, in bulk."""
    made = ImageStream.objects.bulk_create(
        ImageStream(project=project, name=f"s{n}") for n in range(streams)
    )
    all_tags = Tag.objects.bulk_create(
        Tag(stream=stream, name=f"t{n}", from_kind="DockerImage", from_name="quay.io/x/y:1")
        for stream in made
        for n in range(tags)
    )
    count = len(all_tags) * history
    images = Image.objects.bulk_create(
        Image(
            digest=fake_digest(f"{project.pk}-{n}"),
            media_type="application/vnd.oci.image.index.v1+json",
            manifest="{}",
            docker_image_reference=f"quay.io/x/y@{fake_digest(n)}",
        )
        for n in range(count * 2)
    )
    parents, children = images[:count], images[count:]
    ImageManifest.objects.bulk_create(
        ImageManifest(parent=parent, child=child, position=0, media_type="m", os="linux")
        for parent, child in zip(parents, children, strict=True)
    )
    now = timezone.now()
    TagEvent.objects.bulk_create(
        TagEvent(
            tag=tag,
            image=parents[i * history + h],
            docker_image_reference=f"quay.io/x/y@{parents[i * history + h].digest}",
            generation=h + 1,
            cause=EventCause.IMPORT,
            created=now,
        )
        for i, tag in enumerate(all_tags)
        for h in range(history)
    )


@pytest.fixture
def warm(viewer_api):
    """The viewer's client after a first call (which records the token's use)."""
    viewer_api.get(url("whoami"))
    return viewer_api


@pytest.mark.parametrize("size", SIZES)
def test_the_stream_list_has_no_n_plus_1(warm, team, size, django_assert_max_num_queries):
    build(team, *size)
    # token, project, membership, count, streams, tags, history
    with django_assert_max_num_queries(7):
        response = warm.get(url("projects/team/imagestreams"))
    streams, _, history = size
    results = response.json()["results"]
    assert len(results) == streams
    assert all(len(t["items"]) == history for s in results for t in s["tags"])


@pytest.mark.parametrize("size", SIZES)
def test_the_istag_list_has_no_n_plus_1(warm, team, size, django_assert_max_num_queries):
    build(team, *size)
    # token, project, membership, count, tags, heads, manifests of their images
    with django_assert_max_num_queries(7):
        response = warm.get(url("projects/team/imagestreamtags"))
    streams, tags, _ = size
    results = response.json()["results"]
    assert len(results) == min(streams * tags, 50)
    assert all(len(r["image"]["manifests"]) == 1 for r in results)


@pytest.mark.parametrize("size", SIZES)
def test_a_stream_with_a_long_history_has_no_n_plus_1(
    warm, team, size, django_assert_max_num_queries
):
    build(team, *size)
    # stream with its project, membership, tags, history (the token was checked by `warm`)
    with django_assert_max_num_queries(4):
        response = warm.get(url("projects/team/imagestreams/s0"))
    assert len(response.json()["tags"]) == size[1]


@pytest.mark.parametrize("size", SIZES)
def test_resolve_costs_one_statement_however_long_the_history(
    warm, team, size, django_assert_num_queries
):
    build(team, *size)
    with django_assert_num_queries(1):  # the tag, its stream, access and newest image
        response = warm.get(url("resolve/team/s0:t0"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_the_project_list_has_no_n_plus_1(admin_api, count, django_assert_max_num_queries):
    for n in range(count):
        admin_api.post(url("projects"), {"name": f"p{n}"})
    with django_assert_max_num_queries(3):
        response = admin_api.get(url("projects"))
    assert response.json()["count"] == count + 1
