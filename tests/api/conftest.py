from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from imagestreams.models import Image, ImageStream, Tag, TagEvent
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory


@pytest.fixture(params=["redis", "memory"])
def cache_kind(request, settings):
    """The shared cache of production (Redis) and the embedded default's
    per-process memory, where nothing is recorded across requests and ETags
    come from the answer itself."""
    if request.param == "redis":
        location = os.environ.get("REDIS_URL")
        if not location:
            pytest.skip("REDIS_URL is not set")
        settings.CACHES = {
            "default": {
                "BACKEND": "imagestreams.cache.RedisCache",
                "LOCATION": location,
                "KEY_PREFIX": f"imagestreams-test-reads-{uuid.uuid4().hex[:8]}",
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return request.param


@dataclass
class Python:
    stream: ImageStream
    tag: Tag  # python:3.6
    old: TagEvent  # its earlier image
    new: TagEvent  # its current image

    @property
    def image(self) -> Image:
        return self.new.image


@pytest.fixture
def python(team) -> Python:
    """Stream team/python whose tag 3.6 has two images in its history."""
    stream = StreamFactory(project=team, name="python")
    tag = TagFactory(stream=stream, name="3.6", from_name="quay.io/example/python:3.6")
    old = TagEventFactory(
        tag=tag, generation=1, image=ImageFactory(digest="sha256:" + "a" * 64, labels={"v": "1"})
    )
    new = TagEventFactory(
        tag=tag, generation=2, image=ImageFactory(digest="sha256:" + "b" * 64, labels={"v": "2"})
    )
    return Python(stream=stream, tag=tag, old=old, new=new)


def url(path: str) -> str:
    return f"/api/v1/{path}"
