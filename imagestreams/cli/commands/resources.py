"""Resource names as `oc` takes them: `is/python`, `is python`,
`istag/python:3.5`, `isimage/python@sha256:…`, with oc's long names too."""

from __future__ import annotations

from imagestreams.cli.errors import UsageError

IS, ISTAG, ISIMAGE = "is", "istag", "isimage"
KINDS = {
    "is": IS,
    "imagestream": IS,
    "imagestreams": IS,
    "istag": ISTAG,
    "imagestreamtag": ISTAG,
    "imagestreamtags": ISTAG,
    "isimage": ISIMAGE,
    "imagestreamimage": ISIMAGE,
    "imagestreamimages": ISIMAGE,
}
KIND_NAMES = {IS: "imagestream", ISTAG: "imagestreamtag", ISIMAGE: "imagestreamimage"}
VALID = "is (imagestream), istag (imagestreamtag) or isimage (imagestreamimage)"


def kind_of(text: str) -> str:
    kind = KINDS.get(text.lower().split(".", 1)[0])
    if kind is None:
        raise UsageError(f'the server doesn\'t have a resource type "{text}": use {VALID}')
    return kind


def parse_resources(words: list[str], verb: str) -> tuple[str, list[str]]:
    """(kind, names) from `TYPE [NAME…]` or `TYPE/NAME [TYPE/NAME…]` (one kind)."""
    if not words:
        raise UsageError(f"you must specify the type of resource: {VALID}")
    if "/" not in words[0]:
        kind = kind_of(words[0])
        return kind, [_checked(kind, name, verb) for name in words[1:]]
    kinds, names = set(), []
    for word in words:
        kind, slash, name = word.partition("/")
        if not slash or not name:
            raise UsageError(f'"{word}" must be TYPE/NAME, e.g. is/python')
        kinds.add(kind_of(kind))
        names.append(_checked(kind_of(kind), name, verb))
    if len(kinds) > 1:
        raise UsageError("give names of one type at a time")
    return kinds.pop(), names


def _checked(kind: str, name: str, verb: str) -> str:
    """Names are the project's own: another project is chosen with -n, as in oc."""
    project, slash, rest = name.partition("/")
    if not slash:
        return name
    kind_name = {IS: "image stream", ISTAG: "image stream tag", ISIMAGE: "image stream image"}
    hint = (
        f'for "{rest}" of project "{project}", run: isctl -n {project} {verb} {kind}/{rest}'
        if project and rest and "/" not in rest
        else ""
    )
    raise UsageError(
        f'invalid {kind_name[kind]} name "{name}": arguments in resource/name form may not '
        "have more than one slash",
        hint=hint,
    )


def istag_name(name: str) -> str:
    """`python` means `python:latest`, as in oc."""
    if "@" in name:
        raise UsageError(f'"{name}" is an image stream image, not an image stream tag')
    stream, colon, tag = name.partition(":")
    if not stream or (colon and not tag) or ":" in tag:
        raise UsageError(f'"{name}" must be of the form <stream>:<tag>')
    return f"{stream}:{tag or 'latest'}"


def isimage_name(name: str) -> str:
    stream, at, image = name.partition("@")
    if not stream or not at or not image:
        raise UsageError(f'"{name}" must be of the form <stream>@<digest or digest prefix>')
    return name
