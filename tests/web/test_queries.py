"""Pages cost a constant number of queries, however many tags and however long
their histories: a stream with 500 tags renders with as many queries as one
with 3. Data is built with bulk_create to keep the test fast."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from imagestreams.models import Image, ImageManifest, ImageStream, Tag, TagEvent
from imagestreams.models.streams import SourceKind
from tests.factories import fake_digest
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db

INDEX = "application/vnd.oci.image.index.v1+json"
MAX_STREAM_PAGE_QUERIES = 10


def build_stream(project, name: str, tags: int, history: int) -> ImageStream:
    """`tags` tags (every tenth an alias of the previous one) with `history`
    entries each; every fifth current image is a two-platform index."""
    stream = ImageStream.objects.create(project=project, name=name)
    images = Image.objects.bulk_create(
        Image(
            digest=fake_digest(f"{name}-{n}"),
            media_type=INDEX if n % 5 == 0 else "application/vnd.oci.image.manifest.v1+json",
            manifest="{}",
            docker_image_reference=f"quay.io/x/{name}@{fake_digest(f'{name}-{n}')}",
            os="linux",
            architecture="amd64",
        )
        for n in range(history + 2)
    )
    children = images[-2:]
    ImageManifest.objects.bulk_create(
        ImageManifest(
            parent=image, child=child, position=p, media_type="m", os="linux", architecture=a
        )
        for image in images
        if image.media_type == INDEX
        for p, (child, a) in enumerate(zip(children, ["amd64", "arm64"], strict=True))
    )
    made = Tag.objects.bulk_create(_tag(stream, n) for n in range(tags))
    now = timezone.now()
    TagEvent.objects.bulk_create(
        TagEvent(
            tag=tag,
            created=now,
            docker_image_reference=images[n].docker_image_reference,
            image=images[n],
            generation=1,
            cause="import",
        )
        for tag in made
        if tag.from_kind != SourceKind.IMAGE_STREAM_TAG
        for n in range(history)
    )
    return stream


def _tag(stream: ImageStream, n: int) -> Tag:
    if n % 10 == 9:
        return Tag(
            stream=stream,
            name=f"alias{n}",
            from_kind=SourceKind.IMAGE_STREAM_TAG,
            from_name=f"{stream.name}:v{n - 1}",
            from_namespace=stream.project.name,
        )
    return Tag(
        stream=stream,
        name=f"v{n}",
        from_kind=SourceKind.DOCKER_IMAGE,
        from_name=f"quay.io/x/app:{n}",
        generation=1,
        scheduled=n % 3 == 0,
    )


def queries_for(client, url: str, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_a_stream_with_500_tags_renders_with_a_constant_number_of_queries(
    eddie, project, django_assert_max_num_queries
):
    build_stream(project, "small", tags=3, history=2)
    build_stream(project, "big", tags=500, history=12)
    small = queries_for(eddie, "/p/team/is/small/")
    with django_assert_max_num_queries(MAX_STREAM_PAGE_QUERIES):
        response = eddie.get("/p/team/is/big/")
    html = response.content.decode()
    assert html.count('<tbody id="tag-') == 450  # 50 aliases folded into their targets
    assert 'title="alias499 is an alias of v498"' in html
    assert queries_for(eddie, "/p/team/is/big/") == small
    assert queries_for(eddie, "/p/team/is/big/", headers=HTMX) == queries_for(
        eddie, "/p/team/is/small/", headers=HTMX
    )


def test_a_long_history_renders_with_a_constant_number_of_queries(vera, project):
    build_stream(project, "small", tags=1, history=2)
    build_stream(project, "big", tags=1, history=300)
    small = queries_for(vera, "/p/team/is/small/tags/v0/")
    assert queries_for(vera, "/p/team/is/big/tags/v0/") == small
    assert queries_for(vera, "/p/team/is/big/tags/v0/?all=1") == small
    first, last = TagEvent.objects.filter(tag__stream__name="big").order_by("id")[::299]
    compare = f"/p/team/is/big/tags/v0/?a={first.pk}&b={last.pk}"
    assert queries_for(vera, compare) <= small + 3


def test_the_project_page_counts_with_a_constant_number_of_queries(vera, project):
    build_stream(project, "one", tags=3, history=2)
    few = queries_for(vera, "/p/team/")
    for n in range(30):
        build_stream(project, f"s{n}", tags=20, history=3)
    assert queries_for(vera, "/p/team/") == few
    assert queries_for(vera, "/p/team/?health=scheduled") == few
