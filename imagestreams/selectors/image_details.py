"""One image of a stream (`isimage STREAM@DIGEST`): platforms of an index,
config, labels, layers, and the pull specs that reach it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from imagestreams.models import Image, ImageManifest, ImageStream, Tag, TagEvent
from imagestreams.models.streams import SourceKind
from imagestreams.selectors.tags import pull_spec_for
from imagestreams.services.sources import image_of_stream


@dataclass(frozen=True)
class PullSpec:
    label: str
    spec: str


@dataclass
class ImageDetails:
    stream: ImageStream
    image: Image
    platforms: list[ImageManifest]  # children of an index, in index order
    parents: list[ImageManifest]  # indexes of this stream that contain the image
    current_tags: list[Tag]
    pull_specs: list[PullSpec] = field(default_factory=list)

    @property
    def labels(self) -> list[tuple[str, str]]:
        return sorted(self.image.labels.items())

    @property
    def layer_total(self) -> int:
        return sum(layer.get("size", 0) for layer in self.image.layers)


def image_details(*, stream: ImageStream, digest: str) -> ImageDetails:
    """The image `digest` (or a unique prefix) of `stream`; NotFound otherwise."""
    image = image_of_stream(stream, digest)
    platforms = list(ImageManifest.objects.filter(parent=image).select_related("child"))
    parents = list(
        ImageManifest.objects.filter(child=image, parent__tag_events__tag__stream=stream)
        .select_related("parent")
        .distinct()
    )
    images = [image.pk, *(entry.parent_id for entry in parents)]
    heads = _current_heads(stream, images)
    details = ImageDetails(
        stream=stream,
        image=image,
        platforms=platforms,
        parents=parents,
        current_tags=[head.tag for head in heads],
    )
    details.pull_specs = _pull_specs(stream, image, heads)
    return details


def _current_heads(stream: ImageStream, image_ids: list[int]) -> list[TagEvent]:
    """Current history entries of the stream's tags that point at one of `image_ids`."""
    head_id = Subquery(
        TagEvent.objects.filter(tag=OuterRef("tag")).order_by("-id").values("id")[:1]
    )
    events = (
        TagEvent.objects.filter(tag__stream=stream, image_id__in=image_ids)
        .annotate(head_id=head_id)
        .select_related("tag", "image")
        .defer("image__manifest", "image__config_raw")
        .order_by("tag__name")
    )
    heads: list[TagEvent] = [event for event in events if event.pk == event.head_id]
    for head in heads:
        head.tag.stream = stream
    return heads


def _pull_specs(stream: ImageStream, image: Image, heads: list[TagEvent]) -> list[PullSpec]:
    """What each current tag resolves to first (its reference policy applied),
    then the digest in every repository known, then the tags (which may move)."""
    resolved = [
        PullSpec(f"{stream.name}:{head.tag.name} resolves to", pull_spec_for(head.tag, head))
        for head in heads
        if head.image_id == image.pk
    ]
    by_digest = [PullSpec("by digest", image.docker_image_reference)]
    by_tag = []
    if stream.repository:
        by_digest.append(
            PullSpec("by digest, integrated registry", f"{stream.repository}@{image.digest}")
        )
    for head in heads:
        tag = head.tag
        if stream.repository:
            by_tag.append(PullSpec(f"by tag {tag.name}", f"{stream.repository}:{tag.name}"))
        if tag.from_kind == SourceKind.DOCKER_IMAGE:
            by_tag.append(PullSpec(f"upstream of {tag.name} (may move)", tag.from_name))
    unique: dict[str, PullSpec] = {}
    for spec in resolved + by_digest + by_tag:
        unique.setdefault(spec.spec, spec)
    return list(unique.values())
