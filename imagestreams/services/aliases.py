"""Following alias tags to the tag that really holds the source (oc's
FollowTagReference)."""

from __future__ import annotations

from imagestreams.models import ImageStream, Tag
from imagestreams.models.streams import SourceKind


class AliasError(Exception):
    """kind: 'circular', 'not_found', 'other_stream', 'self'."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def alias_target_name(stream: ImageStream, tag: Tag) -> str | None:
    """The tag name an ImageStreamTag source names, None if it is another stream's."""
    if tag.from_namespace and tag.from_namespace != stream.project.name:
        return None
    stream_part, sep, tag_part = tag.from_name.rpartition(":")
    if not sep:
        return tag.from_name
    return tag_part if stream_part == stream.name else None


def follow_tag_reference(stream: ImageStream, name: str) -> tuple[str, Tag | None, bool]:
    """(final tag name, its Tag or None, whether at least one alias was followed)."""
    tags = {tag.name: tag for tag in Tag.objects.filter(stream=stream)}
    seen: set[str] = set()
    followed = False
    while True:
        tag = tags.get(name)
        if tag is None:
            if followed:
                raise AliasError("not_found")
            return name, None, followed
        if tag.from_kind != SourceKind.IMAGE_STREAM_TAG:
            return name, tag, followed
        target = alias_target_name(stream, tag)
        if target is None:
            raise AliasError("other_stream")
        if target == name:
            raise AliasError("self")
        if name in seen:
            raise AliasError("circular")
        seen.add(name)
        name, followed = target, True


def alias_chain_reaches(stream: ImageStream, start: str, names: set[str]) -> list[str] | None:
    """The chain of aliases from `start` up to the first tag in `names`, or None
    when it ends elsewhere. Making any of `names` an alias of `start` would
    then close a loop (oc: "reference tag is circular")."""
    tags = {tag.name: tag for tag in Tag.objects.filter(stream=stream)}
    chain = [start]
    while chain[-1] not in names:
        tag = tags.get(chain[-1])
        if tag is None or tag.from_kind != SourceKind.IMAGE_STREAM_TAG:
            return None
        target = alias_target_name(stream, tag)
        if target is None or target in chain:
            return None  # leaves the stream, or an older loop not through `names`
        chain.append(target)
    return chain
