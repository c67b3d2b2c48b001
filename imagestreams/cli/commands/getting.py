"""`isctl get is|istag|isimage`: oc's tables, or the API objects."""

from __future__ import annotations

from typing import Any

from imagestreams.cli.api import ApiClient, path
from imagestreams.cli.commands.resources import (
    IS,
    ISTAG,
    KIND_NAMES,
    isimage_name,
    istag_name,
    parse_resources,
)
from imagestreams.cli.context import Context
from imagestreams.cli.format.tables import (
    isimages_table,
    istags_table,
    shown_name,
    streams_table,
)
from imagestreams.cli.output import as_list
from imagestreams.cli.parsing import HelpFormatter, describe, examples
from imagestreams.cli.progress import Progress


def register(subcommands, common) -> None:
    parser = subcommands.add_parser(
        "get",
        parents=[common],
        formatter_class=HelpFormatter,
        help="List image streams, tags or images",
        usage="isctl get (is|istag|isimage) [NAME ...] [-o wide|name|json|yaml]",
        description=describe(
            """
            is        image streams: NAME, IMAGE REPOSITORY, TAGS (most recently
                      updated first), UPDATED
            istag     image stream tags that point at an image: NAME, IMAGE REFERENCE,
                      UPDATED (+ IMAGE NAME with -o wide); `get istag STREAM` lists the
                      tags of one stream
            isimage   the images in the streams' histories: NAME, UPDATED (+ IMAGE
                      REFERENCE, IMAGE NAME with -o wide)

            -o json and -o yaml print the API's objects (see docs/api.md); a list is
            printed as {"items": [...]}.
            """
        ),
        epilog=examples(
            """
            isctl get is
            isctl get is python -o yaml
            isctl get istag -o wide
            isctl get istag python:3.12 -o json
            isctl get isimage/python@sha256:49c18358df82
            """
        ),
    )
    parser.add_argument("resources", nargs="+", metavar="RESOURCE")
    parser.add_argument(
        "-o",
        "--output",
        choices=("wide", "name", "json", "yaml"),
        metavar="FORMAT",
        help="wide, name, json or yaml",
    )
    parser.set_defaults(handler=run, intermixed="resources")


def run(ctx: Context) -> int:
    kind, names = parse_resources(ctx.args.resources, "get")
    project = ctx.project
    with ctx.api() as api, Progress(ctx.stderr, f"Listing {KIND_NAMES[kind]}s"):
        objects = FETCHERS[kind](api, project, names)
    output = ctx.args.output
    if output in ("json", "yaml"):
        single = _names_one_object(kind, names) and objects
        ctx.emit(objects[0] if single else as_list(objects), output)
        return 0
    if not objects:
        ctx.err(f"No resources found in {project} project.")
        return 0
    if output == "name":
        for obj in objects:
            ctx.out(f"{KIND_NAMES[kind]}/{shown_name(obj, project)}")
        return 0
    now, wide = ctx.now(), output == "wide"
    if kind == IS:
        ctx.stdout.write(streams_table(objects, now, project=project))
    elif kind == ISTAG:
        ctx.stdout.write(istags_table(objects, now, wide=wide))
    else:
        ctx.stdout.write(isimages_table(objects, now, wide=wide))
    return 0


def _names_one_object(kind: str, names: list[str]) -> bool:
    # `get istag python` lists the tags of a stream; every other single name is one object.
    return len(names) == 1 and (kind != ISTAG or ":" in names[0])


def _streams(api: ApiClient, project: str, names: list[str]) -> list[dict[str, Any]]:
    """The project's streams, then those other projects share with it."""
    if names:
        return [api.get(path("projects", project, "imagestreams", name)) for name in names]
    own = api.list(path("projects", project, "imagestreams"))
    return own + api.list(path("projects", project, "sharedimagestreams"))


def _istags(api: ApiClient, project: str, names: list[str]) -> list[dict[str, Any]]:
    """`get istag` lists all; `STREAM:TAG` gets one; a bare `STREAM` lists its tags."""
    if not names:
        return api.list(path("projects", project, "imagestreamtags"))
    found: list[dict[str, Any]] = []
    for name in names:
        if ":" in name:
            found.append(api.get(path("projects", project, "imagestreamtags", istag_name(name))))
        else:
            found.extend(
                api.list(path("projects", project, "imagestreamtags"), params={"stream": name})
            )
    return found


def _isimages(api: ApiClient, project: str, names: list[str]) -> list[dict[str, Any]]:
    """The API has no list of images: every distinct image of every history
    is fetched as `stream@digest` (oc cannot list them at all)."""
    if not names:
        names = []
        for stream in api.list(path("projects", project, "imagestreams")):
            digests = {
                item["image"]
                for tag in stream.get("tags") or []
                for item in tag.get("items") or []
                if item.get("image")
            }
            names.extend(f"{stream['name']}@{digest}" for digest in sorted(digests))
    return [
        api.get(path("projects", project, "imagestreamimages", isimage_name(name)))
        for name in names
    ]


FETCHERS = {IS: _streams, ISTAG: _istags, "isimage": _isimages}
