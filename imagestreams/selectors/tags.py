"""Reads of tags: current image, pull specs, history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from imagestreams.access import viewable
from imagestreams.models import ImageStream, Tag, TagEvent
from imagestreams.models.streams import ReferencePolicy
from imagestreams.services.errors import NotFound


@dataclass(frozen=True)
class ResolvedTag:
    tag: Tag  # with its stream and project
    pull_spec: str
    digest: str


def tag_get(*, stream: ImageStream, name: str) -> Tag:
    tag = Tag.objects.select_related("stream__project").filter(stream=stream, name=name).first()
    if tag is None:
        raise NotFound(f'image stream tag "{stream.name}:{name}" not found', field="tag")
    return tag


def tag_history(*, tag: Tag) -> list[TagEvent]:
    return list(tag.events.select_related("image"))


def pull_spec_for(tag: Tag, event: TagEvent) -> str:
    """OpenShift's ResolveLatestTaggedImage: Local policy pulls through the
    integrated registry, Source uses the recorded reference."""
    return _pull_spec(tag, event.docker_image_reference, event.digest)


def _pull_spec(tag: Tag, reference: str, digest: str) -> str:
    repository = tag.stream.repository
    if tag.reference_policy == ReferencePolicy.LOCAL and repository and digest:
        return f"{repository}@{digest}"
    return reference


def tag_resolve(*, stream: ImageStream, name: str) -> ResolvedTag:
    """The pull spec by digest that consumers of `stream:name` should use."""
    tag = tag_get(stream=stream, name=name)
    event = tag.events.select_related("image").first()
    if event is None or event.image is None:
        raise NotFound(
            f'image stream tag "{stream.name}:{name}" does not point to an image yet', field="tag"
        )
    return ResolvedTag(tag=tag, pull_spec=pull_spec_for(tag, event), digest=event.image.digest)


def tag_resolve_visible(*, principal, project: str, stream: str, name: str) -> ResolvedTag | None:
    """tag_resolve in one query, for a tag that `principal` may view and that
    points to an image; None otherwise (tag_resolve after stream_for then
    says which error applies)."""
    newest = TagEvent.objects.filter(tag=OuterRef("pk")).order_by("-id")
    tag = (
        Tag.objects.filter(
            viewable(principal, "stream"),
            stream__project__name=project,
            stream__name=stream,
            name=name,
        )
        .select_related("stream__project")
        .only("name", "reference_policy", "stream__name", "stream__project__name")
        .annotate(
            head_reference=Subquery(newest.values("docker_image_reference")[:1]),
            head_digest=Subquery(newest.values("image__digest")[:1]),
        )
        .first()
    )
    if tag is None or not tag.head_digest:
        return None
    return ResolvedTag(
        tag=tag,
        pull_spec=_pull_spec(tag, tag.head_reference, tag.head_digest),
        digest=tag.head_digest,
    )
