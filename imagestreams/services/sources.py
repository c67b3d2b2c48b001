"""Parsing and resolving the sources and destinations of `tag` (oc tag rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from imagestreams.models import Image, ImageStream, Project, Tag, TagEvent
from imagestreams.models.streams import SourceKind, tag_name_validator
from imagestreams.registry.errors import InvalidReference
from imagestreams.registry.reference import ImageReference, parse_reference
from imagestreams.services.errors import Conflict, InvalidInput, NotFound

SOURCE_KIND_ALIASES = {
    "imagestreamtag": SourceKind.IMAGE_STREAM_TAG,
    "istag": SourceKind.IMAGE_STREAM_TAG,
    "imagestreamimage": SourceKind.IMAGE_STREAM_IMAGE,
    "isimage": SourceKind.IMAGE_STREAM_IMAGE,
    "docker": SourceKind.DOCKER_IMAGE,
    "dockerimage": SourceKind.DOCKER_IMAGE,
}


@dataclass(frozen=True)
class StreamTagName:
    """`[project/]stream:tag` or, for images, `[project/]stream@digest`."""

    project: str
    stream: str
    tag: str = ""
    digest: str = ""

    def __str__(self) -> str:
        suffix = f"@{self.digest}" if self.digest else f":{self.tag}"
        return f"{self.project}/{self.stream}{suffix}"

    def display(self, current_project: str) -> str:
        text = str(self)
        prefix = f"{current_project}/"
        return text.removeprefix(prefix) if self.project == current_project else text


@dataclass(frozen=True)
class TagSource:
    kind: str
    text: str
    docker: ImageReference | None = None
    stream_name: StreamTagName | None = None


def validate_tag_name(name: str) -> None:
    try:
        tag_name_validator(name)
    except ValidationError:
        raise InvalidInput(
            f'invalid tag "{name}" format, tags must start with an alphanumeric character '
            "followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 "
            "characters",
            field="tag",
        ) from None


def parse_source_kind(kind: str | None) -> str | None:
    if not kind:
        return None
    normalised = SOURCE_KIND_ALIASES.get(kind.lower().replace("-", ""))
    if normalised is None:
        raise InvalidInput(
            f'invalid source "{kind}": use docker, istag (imagestreamtag) or isimage '
            "(imagestreamimage)",
            field="source_kind",
        )
    return normalised


def parse_destination(text: str, current_project: str) -> StreamTagName:
    """`[project/]stream:tag`, as `oc tag` destinations are written."""
    path, sep, tag = text.rpartition(":")
    if not sep or not path or not tag or "@" in text:
        raise InvalidInput(f'"{text}" must be of the form <stream_name>:<tag>', field="destination")
    parts = path.split("/")
    if len(parts) > 2 or not all(parts):
        raise InvalidInput(f'"{text}" must be of the form <stream_name>:<tag>', field="destination")
    validate_tag_name(tag)
    project = parts[0] if len(parts) == 2 else current_project
    return StreamTagName(project=project, stream=parts[-1], tag=tag)


DIGEST_PREFIX = re.compile(r"^(sha256:)?[a-f0-9]{1,64}$")


def _looks_like_docker_digest(text: str) -> bool:
    return bool(re.search(r"@sha256:[a-f0-9]{64}$", text))


def parse_source(text: str, kind: str | None, current_project: str) -> TagSource:
    """Infer the kind like `oc tag`: a registry host means an external image,
    `@digest` an image of a stream, `:tag` a tag of a stream."""
    text_for_parser = text
    image_id = ""
    if "@" in text and not _looks_like_docker_digest(text):
        # Images of a stream may be named by a digest prefix, which the
        # reference grammar does not allow.
        text_for_parser, image_id = text.split("@", 1)
        if not DIGEST_PREFIX.match(image_id):
            raise InvalidInput(f'invalid image ID "{image_id}" in SOURCE', field="source")
    try:
        reference = parse_reference(text_for_parser)
    except InvalidReference as exc:
        raise InvalidInput(f"invalid SOURCE {text!r}: {exc.message}", field="source") from None
    if image_id and (kind == SourceKind.DOCKER_IMAGE or reference.registry):
        raise InvalidInput(f'"{image_id}" is not a complete digest', field="source")
    digest = image_id or reference.digest or ""
    if kind is None:
        if reference.registry:
            kind = SourceKind.DOCKER_IMAGE
        elif digest:
            kind = SourceKind.IMAGE_STREAM_IMAGE
        elif reference.tag:
            kind = SourceKind.IMAGE_STREAM_TAG
        else:
            kind = SourceKind.DOCKER_IMAGE
    if kind == SourceKind.DOCKER_IMAGE:
        return TagSource(kind=kind, text=text, docker=reference)
    if reference.registry:
        raise InvalidInput(
            "server in SOURCE is only allowed when providing a container image", field="source"
        )
    parts = reference.path.split("/")
    if len(parts) > 2:
        raise InvalidInput(
            f'"{text}" must be of the form <stream>:<tag> or <project>/<stream>:<tag>',
            field="source",
        )
    project = current_project if len(parts) == 1 or parts[0] == "library" else parts[0]
    if kind == SourceKind.IMAGE_STREAM_TAG and not reference.tag:
        raise InvalidInput(
            "--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE", field="source"
        )
    if kind == SourceKind.IMAGE_STREAM_IMAGE and not digest:
        raise InvalidInput(
            "--source=ImageStreamImage requires a valid <name>@<id> in SOURCE", field="source"
        )
    name = StreamTagName(project=project, stream=parts[-1], tag=reference.tag or "", digest=digest)
    return TagSource(kind=kind, text=text, stream_name=name)


def find_stream(project_name: str, stream_name: str) -> ImageStream:
    stream = (
        ImageStream.objects.select_related("project")
        .filter(project__name=project_name, name=stream_name)
        .first()
    )
    if stream is None:
        raise NotFound(f'image stream "{project_name}/{stream_name}" not found', field="source")
    return stream


def source_tag_head(name: StreamTagName) -> TagEvent | None:
    stream = find_stream(name.project, name.stream)
    tag = Tag.objects.filter(stream=stream, name=name.tag).first()
    if tag is None:
        return None
    return tag.events.select_related("image").first()


def resolve_stream_image(stream: ImageStream, digest_or_prefix: str) -> TagEvent:
    """The newest history entry of `stream` whose image matches a digest or a
    unique digest prefix (OpenShift ResolveImageID)."""
    prefix = digest_or_prefix if ":" in digest_or_prefix else f"sha256:{digest_or_prefix}"
    events = (
        TagEvent.objects.filter(tag__stream=stream, image__digest__startswith=prefix)
        .select_related("image")
        .order_by("-id")
    )
    digests = sorted({event.image.digest for event in events if event.image is not None})
    if not digests:
        raise NotFound(
            f'image "{digest_or_prefix}" not found in image stream "{stream.name}"',
            field="source",
        )
    if len(digests) > 1:
        raise Conflict(
            f'multiple images match the prefix "{digest_or_prefix}": {", ".join(digests)}',
            field="source",
        )
    return events[0]


def image_of_stream(stream: ImageStream, digest_or_prefix: str) -> Image:
    """An image referenced by the stream's history, or a child of such an index
    (so every platform of a multi-arch tag is addressable)."""
    try:
        image = resolve_stream_image(stream, digest_or_prefix).image
        assert image is not None  # the entry was found by its image's digest
        return image
    except NotFound:
        prefix = digest_or_prefix if ":" in digest_or_prefix else f"sha256:{digest_or_prefix}"
        children = Image.objects.filter(
            digest__startswith=prefix, parents__parent__tag_events__tag__stream=stream
        ).distinct()
        found = list(children[:2])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise Conflict(
                f'multiple images match the prefix "{digest_or_prefix}"', field="digest"
            ) from None
        raise


def project_exists(name: str) -> Project:
    project = Project.objects.filter(name=name).first()
    if project is None:
        raise NotFound(f'project "{name}" not found', field="project")
    return project
