"""A stream as teams really have them, for the layout tests and the README
screenshots: Python tags imported from Docker Hub (one scheduled, one with an
alias, one failing), and release tags pinned to exact images by digest."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from imagestreams.models import ImageStream, Project, Tag
from imagestreams.models.streams import EventCause, SourceKind
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory, fake_digest

HUB = "docker.io/library/python"
PINNED = [
    "prod", "prod-eu", "prod-us", "staging", "canary", "stable", "release-2026-10",
    "release-2026-11", "release-2026-12", "hotfix-4312", "qa", "demo",
]  # fmt: skip
FAILING_MESSAGE = (
    f"Internal error occurred: {HUB}:3.14-rc: manifest unknown: the registry has no tag "
    '"3.14-rc" in library/python (it may not be published yet, or was removed upstream); '
    "the tag keeps its last good image"
)


def python_stream(project: Project) -> ImageStream:
    stream = StreamFactory(project=project, name="python")
    now = timezone.now()
    images = {}
    for version, age in [("3.13", 3), ("3.12", 9), ("3.11", 30), ("3.10", 90)]:
        tag = TagFactory(stream=stream, name=version, from_name=f"{HUB}:{version}")
        for step in (2, 1, 0):
            image = ImageFactory(
                digest=fake_digest(f"{version}-{step}"),
                docker_image_reference=f"{HUB}@{fake_digest(f'{version}-{step}')}",
                labels={"org.opencontainers.image.version": f"{version}.{9 - step}"},
            )
            TagEventFactory(
                tag=tag,
                image=image,
                docker_image_reference=image.docker_image_reference,
                created=now - timedelta(days=age + 7 * step, hours=step),
            )
        images[version] = image
    Tag.objects.filter(stream=stream, name="3.13").update(scheduled=True, last_checked_at=now)
    TagFactory(stream=stream, name="latest", from_kind=SourceKind.IMAGE_STREAM_TAG,
               from_name="python:3.13", from_namespace=project.name)  # fmt: skip
    for n, name in enumerate(PINNED):
        image = images[["3.13", "3.12", "3.11"][n % 3]]
        tag = TagFactory(
            stream=stream,
            name=name,
            from_kind=SourceKind.IMAGE_STREAM_IMAGE,
            from_name=f"python@{image.digest}",
            from_namespace=project.name,
        )
        TagEventFactory(tag=tag, image=image, cause=EventCause.TAG, actor="alice",
                        docker_image_reference=image.docker_image_reference,
                        created=now - timedelta(hours=5 * n + 2))  # fmt: skip
    failing = TagFactory(stream=stream, name="3.14-rc", from_name=f"{HUB}:3.14-rc")
    Tag.objects.filter(pk=failing.pk).update(
        condition_reason="NotFound",
        condition_message=FAILING_MESSAGE,
        condition_generation=F("generation"),
        condition_time=now - timedelta(minutes=12),
    )
    return stream
