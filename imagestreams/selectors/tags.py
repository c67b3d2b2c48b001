"""Reads of tags: current image, pull specs, history."""

from __future__ import annotations

from dataclasses import dataclass

from imagestreams.models import ImageStream, Tag, TagEvent
from imagestreams.models.streams import ReferencePolicy
from imagestreams.services.errors import NotFound


@dataclass(frozen=True)
class ResolvedTag:
    tag: Tag
    event: TagEvent
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
    repository = tag.stream.repository
    if tag.reference_policy == ReferencePolicy.LOCAL and repository and event.image is not None:
        return f"{repository}@{event.image.digest}"
    return event.docker_image_reference


def tag_resolve(*, stream: ImageStream, name: str) -> ResolvedTag:
    """The pull spec by digest that consumers of `stream:name` should use."""
    tag = tag_get(stream=stream, name=name)
    event = tag.events.select_related("image").first()
    if event is None or event.image is None:
        raise NotFound(
            f'image stream tag "{stream.name}:{name}" does not point to an image yet', field="tag"
        )
    return ResolvedTag(
        tag=tag, event=event, pull_spec=pull_spec_for(tag, event), digest=event.image.digest
    )
