"""Image stream images: `stream@digest`, by unique prefix, and platforms of an index."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageManifest
from tests.api.conftest import url
from tests.factories import ImageFactory, TagEventFactory

pytestmark = pytest.mark.django_db

INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.mark.parametrize("digest", ["b" * 64, "sha256:" + "b" * 64, "bbbbbb", "sha256:bb"])
def test_an_image_is_found_by_digest_or_unique_prefix(viewer_api, python, digest):
    body = viewer_api.get(url(f"projects/team/imagestreamimages/python@{digest}")).json()
    assert body["name"] == f"python@{python.image.digest}"
    assert body["image"]["labels"] == {"v": "2"}


def test_an_earlier_image_of_the_history_is_found(viewer_api, python):
    body = viewer_api.get(url("projects/team/imagestreamimages/python@aaaa")).json()
    assert body["image"]["digest"] == python.old.image.digest


def test_an_image_of_another_stream_is_not_found(viewer_api, python):
    TagEventFactory(tag__stream__project=python.stream.project, image__digest="sha256:" + "d" * 64)
    response = viewer_api.get(url("projects/team/imagestreamimages/python@dddd"))
    assert response.status_code == 404
    assert response.json()["field"] == "isimage"


def test_the_platforms_of_an_index_are_listed_and_addressable(viewer_api, python):
    index = ImageFactory(digest="sha256:" + "e" * 64, media_type=INDEX, architecture="", os="")
    arm = ImageFactory(digest="sha256:" + "f" * 64, architecture="arm64", variant="v8")
    ImageManifest.objects.create(
        parent=index,
        child=arm,
        position=0,
        media_type=arm.media_type,
        size=123,
        os="linux",
        architecture="arm64",
        variant="v8",
    )
    TagEventFactory(tag__stream=python.stream, tag__name="multi", image=index)
    body = viewer_api.get(url("projects/team/imagestreamimages/python@eeee")).json()
    assert body["image"]["manifests"] == [
        {
            "digest": arm.digest,
            "media_type": arm.media_type,
            "size": 123,
            "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
        }
    ]
    child = viewer_api.get(url("projects/team/imagestreamimages/python@ffff")).json()
    assert (child["image"]["architecture"], child["image"]["variant"]) == ("arm64", "v8")
