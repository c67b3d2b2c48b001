"""Reads of image streams with their tags and histories, in a constant number
of queries however many streams, tags and history entries there are."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from imagestreams.models import ImageStream, Project, Tag, TagEvent
from imagestreams.services.errors import NotFound

# What a history entry shows; the image's manifest and config are left in the
# database, since long histories would otherwise load them all.
EVENT_FIELDS = (
    "id",
    "tag_id",
    "created",
    "docker_image_reference",
    "generation",
    "cause",
    "actor",
    "image__id",
    "image__digest",
)


def history_prefetch() -> Prefetch:
    events = TagEvent.objects.select_related("image").only(*EVENT_FIELDS).order_by("-id")
    return Prefetch("events", queryset=events)


def _tags_prefetch() -> Prefetch:
    tags = Tag.objects.order_by("name").prefetch_related(history_prefetch())
    return Prefetch("tags", queryset=tags)


def _with_tags(streams: QuerySet[ImageStream]) -> QuerySet[ImageStream]:
    return streams.select_related("project").prefetch_related(_tags_prefetch())


def streams_list(*, project: Project, search: str = "") -> QuerySet[ImageStream]:
    streams = ImageStream.objects.filter(project=project)
    if search:
        streams = streams.filter(name__icontains=search)
    return _with_tags(streams).order_by("name")


def stream_detail(*, project: Project, name: str) -> ImageStream:
    stream = _with_tags(ImageStream.objects.filter(project=project, name=name)).first()
    if stream is None:
        raise NotFound(f'image stream "{name}" not found', field="name")
    return stream


def stream_with_tags(stream: ImageStream) -> ImageStream:
    """`stream` (with its project, as access.stream_for gives it) and its tags
    and histories, without reading the stream again."""
    prefetch_related_objects([stream], _tags_prefetch())
    return stream
