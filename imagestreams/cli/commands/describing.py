"""`isctl describe is|istag|isimage`: oc's describe layouts."""

from __future__ import annotations

from imagestreams.cli.api import path
from imagestreams.cli.commands.resources import (
    IS,
    ISTAG,
    isimage_name,
    istag_name,
    parse_resources,
)
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.format.images import describe_image
from imagestreams.cli.format.streams import describe_stream
from imagestreams.cli.parsing import HelpFormatter, describe, examples


def register(subcommands, common) -> None:
    parser = subcommands.add_parser(
        "describe",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Show an image stream, tag or image in detail",
        usage="isctl describe (is|istag|isimage)/NAME ... | isctl describe TYPE [NAME ...]",
        description=describe(
            """
            is/NAME            an image stream: its tags (most important first), where
                               each comes from, and each tag's history (* = current)
            istag/NAME:TAG     the image a tag points at now (TAG defaults to latest)
            isimage/NAME@ID    an image of the stream, by digest or unique digest prefix

            Without a name, `describe is` describes every stream of the project.
            """
        ),
        epilog=examples(
            """
            isctl describe is/python
            isctl describe istag/python:3.12
            isctl describe isimage/python@sha256:49c18358df82
            isctl describe is python ruby
            """
        ),
    )
    parser.add_argument("resources", nargs="+", metavar="RESOURCE")
    parser.set_defaults(handler=run, intermixed="resources")


def run(ctx: Context) -> int:
    kind, names = parse_resources(ctx.args.resources, "describe")
    project = ctx.project
    now = ctx.now()
    texts = []
    with ctx.api() as api:
        if kind == IS:
            if not names:
                streams = api.list(path("projects", project, "imagestreams"))
                names = [stream["name"] for stream in streams]
            for name in names:
                stream = api.get(path("projects", project, "imagestreams", name))
                texts.append(describe_stream(stream, now))
        elif kind == ISTAG:
            _require(names, "istag/NAME:TAG")
            for name in names:
                istag = api.get(path("projects", project, "imagestreamtags", istag_name(name)))
                image = istag.get("image") or {}
                annotations = (istag.get("spec") or {}).get("annotations") or None
                texts.append(
                    describe_image(image, image.get("digest", ""), now, annotations=annotations)
                )
        else:
            _require(names, "isimage/NAME@DIGEST")
            for name in names:
                isimage = api.get(
                    path("projects", project, "imagestreamimages", isimage_name(name))
                )
                image = isimage.get("image") or {}
                texts.append(describe_image(image, image.get("digest", ""), now))
    if not texts:
        ctx.err(f"No resources found in {project} project.")
        return 0
    ctx.out("\n\n".join(text.rstrip("\n") for text in texts))
    return 0


def _require(names: list[str], form: str) -> None:
    if not names:
        raise UsageError(f"give the name to describe, as {form}")
