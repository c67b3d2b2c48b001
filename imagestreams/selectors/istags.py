"""Reads of image stream tags (`stream:tag` with its current image), the way
OpenShift's ImageStreamTag presents them."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from imagestreams.models import ImageManifest, ImageStream, Project, Tag, TagEvent
from imagestreams.services.errors import NotFound


def _newest_event_id():
    return Subquery(
        TagEvent.objects.filter(tag=OuterRef("tag_id")).order_by("-id").values("id")[:1]
    )


def head_prefetch() -> Prefetch:
    """Only the current entry of each tag (in `tag.head_events`), with its
    image and the image's platforms: one query per relation, not per tag."""
    manifests = ImageManifest.objects.select_related("child").only(
        "id",
        "parent_id",
        "position",
        "media_type",
        "size",
        "os",
        "architecture",
        "variant",
        "child__id",
        "child__digest",
    )
    heads = (
        TagEvent.objects.filter(id=_newest_event_id())
        .select_related("image")
        .defer("image__manifest", "image__config_raw")
        .prefetch_related(Prefetch("image__manifests", queryset=manifests))
    )
    return Prefetch("events", queryset=heads, to_attr="head_events")


def head_of(tag: Tag) -> TagEvent | None:
    heads = getattr(tag, "head_events", None)
    return heads[0] if heads else None


def _with_image() -> QuerySet[Tag]:
    """Tags whose current entry has an image (OpenShift hides the others)."""
    head_has_image = TagEvent.objects.filter(
        id=Subquery(
            TagEvent.objects.filter(tag=OuterRef(OuterRef("pk"))).order_by("-id").values("id")[:1]
        ),
        image__isnull=False,
    )
    return (
        Tag.objects.filter(Exists(head_has_image))
        .select_related("stream__project")
        .prefetch_related(head_prefetch())
    )


def istags_list(*, project: Project, stream: str = "") -> QuerySet[Tag]:
    tags = _with_image().filter(stream__project=project)
    if stream:
        tags = tags.filter(stream__name=stream)
    return tags.order_by("stream__name", "name")


def istag_get(*, project: Project, stream: str, tag: str) -> Tag:
    """The tag `stream:tag` with `head_events`; NotFound without an image yet."""
    found = _with_image().filter(stream__project=project, stream__name=stream, name=tag).first()
    if found is not None:
        return found
    if not ImageStream.objects.filter(project=project, name=stream).exists():
        raise NotFound(f'image stream "{stream}" not found', field="istag")
    if Tag.objects.filter(stream__project=project, stream__name=stream, name=tag).exists():
        raise NotFound(
            f'image stream tag "{stream}:{tag}" does not point to an image yet', field="istag"
        )
    raise NotFound(f'image stream tag "{stream}:{tag}" not found', field="istag")
