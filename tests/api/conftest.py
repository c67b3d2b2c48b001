from __future__ import annotations

from dataclasses import dataclass

import pytest

from imagestreams.models import Image, ImageStream, Tag, TagEvent
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory


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
