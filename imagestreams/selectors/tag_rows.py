"""The tags of a stream as `oc describe is` shows them: one row per tag with its
current image, its source, its import state, and same-stream aliases folded
into the tag they follow (`3.6 (latest)`). Constant queries for any number of
tags and any length of history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery

from imagestreams.models import ImageManifest, ImageStream, Tag, TagEvent
from imagestreams.models.streams import ReferencePolicy, SourceKind
from imagestreams.registry.priority import prioritize_tags
from imagestreams.services.aliases import alias_target_name

# Image columns never shown in lists; they can be large.
HEAVY_IMAGE_FIELDS = ("image__manifest", "image__config_raw")


@dataclass
class TagRow:
    tag: Tag
    head: TagEvent | None
    history_count: int
    source: str
    aliases: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.tag.name

    @property
    def heading(self) -> str:
        """`3.6 (latest, stable)`: the tag and the aliases that follow it."""
        if not self.aliases:
            return self.tag.name
        return f"{self.tag.name} ({', '.join(self.aliases)})"

    @property
    def image(self):
        return self.head.image if self.head else None

    @property
    def importing(self) -> bool:
        return self.tag.import_pending(self.head)

    @property
    def failed(self) -> bool:
        return self.tag.has_condition and not self.importing

    @property
    def state(self) -> str:
        """importing, failed, ok, or empty (no image and nothing to import)."""
        if self.importing:
            return "importing"
        if self.failed:
            return "failed"
        return "ok" if self.head else "empty"

    @property
    def local_policy(self) -> bool:
        return self.tag.reference_policy == ReferencePolicy.LOCAL

    @property
    def can_import(self) -> bool:
        return self.tag.is_importable

    @property
    def can_schedule(self) -> bool:
        return self.tag.has_spec and self.tag.from_kind == SourceKind.DOCKER_IMAGE

    @property
    def has_spec(self) -> bool:
        return self.tag.has_spec and bool(self.tag.from_kind)


def describe_source(stream: ImageStream, tag: Tag) -> str:
    """Where a tag comes from and how it updates, in `oc describe is` words."""
    if not tag.has_spec:
        return "no spec tag (pushed)"
    if not tag.from_kind:
        return "tag without source image"
    name = tag.from_name
    if tag.from_namespace and tag.from_namespace != stream.project.name:
        name = f"{tag.from_namespace}/{name}"
    if tag.from_kind == SourceKind.DOCKER_IMAGE:
        if tag.reference:
            return f"reference to registry {name}"
        if tag.scheduled:
            return f"updates automatically from registry {name}"
        return f"tagged from {name}"
    if tag.from_kind == SourceKind.IMAGE_STREAM_TAG:
        return f"reference to {name}" if tag.reference else f"tracks {name}"
    if tag.from_kind == SourceKind.IMAGE_STREAM_IMAGE and tag.reference:
        return f"reference to image {name}"
    return f"tagged from {name}"


def alias_targets(stream: ImageStream, tags: Mapping[str, Tag]) -> dict[str, str]:
    """alias name -> the final tag it follows, for aliases that resolve inside
    the stream (FollowTagReference with at least one hop). Broken, circular or
    cross-stream aliases are left out and get their own row."""
    folded = {}
    for name in tags:
        final = _follow(stream, tags, name)
        if final is not None and final != name:
            folded[name] = final
    return folded


def _follow(stream: ImageStream, tags: Mapping[str, Tag], name: str) -> str | None:
    seen = {name}
    current = tags[name]
    while current.from_kind == SourceKind.IMAGE_STREAM_TAG:
        target = alias_target_name(stream, current)
        if target is None or target in seen or target not in tags:
            return None
        seen.add(target)
        current = tags[target]
    return current.name


def stream_tag_rows(
    *, stream: ImageStream, only: set[str] | None = None, search: str = ""
) -> list[TagRow]:
    """Rows in OpenShift's tag priority order (latest, newest versions, others).

    `only` limits the rows built (e.g. one row re-rendered while polling); the
    folding still looks at every tag of the stream.
    """
    head_id = Subquery(TagEvent.objects.filter(tag=OuterRef("pk")).order_by("-id").values("id")[:1])
    tags = {
        tag.name: tag
        for tag in Tag.objects.filter(stream=stream).annotate(
            head_id=head_id, history_count=Count("events")
        )
    }
    folded = alias_targets(stream, tags)
    names = [name for name in prioritize_tags(list(tags)) if name not in folded]
    if only is not None:
        names = [name for name in names if name in only]
    if search:
        needle = search.strip().lower()
        names = [name for name in names if needle in name.lower()]
    aliases = defaultdict(list)
    for alias in prioritize_tags(list(folded)):
        aliases[folded[alias]].append(alias)
    heads = _heads([tags[name].head_id for name in names])
    platforms = _index_platforms([head.image_id for head in heads.values() if head.image_id])
    rows = []
    for name in names:
        tag = tags[name]
        tag.stream = stream  # rows never need another query for it
        head = heads.get(tag.head_id)
        rows.append(
            TagRow(
                tag=tag,
                head=head,
                history_count=tag.history_count,
                source=describe_source(stream, tag),
                aliases=aliases.get(name, []),
                platforms=_platforms_of(head, platforms),
            )
        )
    return rows


def _heads(ids: list[int | None]) -> dict[int, TagEvent]:
    wanted = [pk for pk in ids if pk is not None]
    if not wanted:
        return {}
    events = (
        TagEvent.objects.filter(pk__in=wanted).select_related("image").defer(*HEAVY_IMAGE_FIELDS)
    )
    return {event.pk: event for event in events}


def _index_platforms(image_ids: list[int]) -> dict[int, list[str]]:
    """Platforms of the indexes among `image_ids` (one query)."""
    if not image_ids:
        return {}
    found: dict[int, list[str]] = defaultdict(list)
    children = ImageManifest.objects.filter(parent_id__in=set(image_ids)).order_by(
        "parent_id", "position"
    )
    for child in children.only("parent_id", "os", "architecture", "variant"):
        found[child.parent_id].append(child.platform)
    return found


def _platforms_of(head: TagEvent | None, index_platforms: dict[int, list[str]]) -> list[str]:
    if head is None or head.image is None:
        return []
    if head.image_id in index_platforms:
        return index_platforms[head.image_id]
    return [head.image.platform] if head.image.platform else []
