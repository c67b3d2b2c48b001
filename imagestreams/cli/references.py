"""Client-side parsing of image references and `stream:tag` names, so that
`isctl` can infer a source's kind and reject bad input before any request
(the server checks everything again)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagestreams.cli.errors import UsageError
from imagestreams.registry.reference import TAG_NAME

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[A-Fa-f0-9:]+\])(?::[0-9]+)?"
)
_FULL_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
# Images of a stream may be named by a unique prefix of their digest.
_DIGEST_PREFIX = re.compile(r"(?:sha256:)?[a-f0-9]{1,64}")

TAG_FORMAT_MESSAGE = (
    "invalid tag {tag!r} format, tags must start with an alphanumeric character followed by "
    "alphanumeric, '.' or '-' characters, and have a maximum of 128 characters"
)


@dataclass(frozen=True)
class Reference:
    registry: str
    path: str
    tag: str = ""
    digest: str = ""  # a full digest, or a prefix for images of a stream

    @property
    def components(self) -> list[str]:
        return self.path.split("/")


def parse_reference(text: str, *, allow_digest_prefix: bool = False) -> Reference:
    """`[registry/]path[:tag][@digest]`; raises ValueError with the reason."""
    if not text or any(char.isspace() for char in text):
        raise ValueError(f"{text!r} is not an image reference")
    name, at, digest = text.partition("@")
    prefix_allowed = allow_digest_prefix and _DIGEST_PREFIX.fullmatch(digest)
    if at and not _FULL_DIGEST.fullmatch(digest) and not prefix_allowed:
        raise ValueError(f"{digest!r} is not a valid digest (sha256: and 64 hex digits)")
    path, tag = name, ""
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        path, tag = name[:colon], name[colon + 1 :]
        if not TAG_NAME.fullmatch(tag):
            raise ValueError(f"{tag!r} is not a valid tag")
    first, slash, rest = path.partition("/")
    registry = ""
    if slash and ("." in first or ":" in first or first == "localhost"):
        if not _HOST.fullmatch(first):
            raise ValueError(f"{first!r} is not a valid registry host")
        registry, path = first, rest
    for component in path.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise ValueError(
                f"{component!r} is not a valid repository name component (use lowercase "
                "letters and digits, separated by '.', '_', '__' or '-')"
            )
    return Reference(registry=registry, path=path, tag=tag, digest=digest)


def validate_tag(tag: str) -> None:
    if not TAG_NAME.fullmatch(tag):
        raise UsageError(TAG_FORMAT_MESSAGE.format(tag=tag))


@dataclass(frozen=True)
class StreamTag:
    """`[project/]stream:tag` as a destination of `tag` or an argument of
    `history`/`rollback`; `project` is empty when not given."""

    project: str
    stream: str
    tag: str

    def __str__(self) -> str:
        prefix = f"{self.project}/" if self.project else ""
        return f"{prefix}{self.stream}:{self.tag}"


def parse_stream_tag(text: str, *, check_tag: bool = True) -> StreamTag:
    name, colon, tag = text.partition(":")
    if not colon or not name or not tag or ":" in tag or "@" in text:
        raise UsageError(f'"{text}" must be of the form <stream_name>:<tag>')
    parts = name.split("/")
    if len(parts) > 2:
        raise UsageError(f'invalid image stream "{text}"')
    if not all(parts):
        raise UsageError(f'invalid image stream "{text}": the project and the stream must be named')
    if check_tag:
        validate_tag(tag)
    project = parts[0] if len(parts) == 2 else ""
    return StreamTag(project=project, stream=parts[-1], tag=tag)
