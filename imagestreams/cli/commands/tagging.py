"""`isctl tag`: oc tag against the API, with oc's checks done before any request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imagestreams.cli.api import path
from imagestreams.cli.commands.importing import import_mode, reference_policy
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.parsing import HelpFormatter, add_output, describe, examples
from imagestreams.cli.references import StreamTag, parse_reference, parse_stream_tag

DOCKER, ISTAG, ISIMAGE = "docker", "istag", "isimage"
USAGE = "isctl tag [--source=KIND] SOURCE DEST [DEST ...]\n       isctl tag -d DEST [DEST ...]"
SOURCE_KINDS = {
    "docker": DOCKER,
    "dockerimage": DOCKER,
    "istag": ISTAG,
    "imagestreamtag": ISTAG,
    "isimage": ISIMAGE,
    "imagestreamimage": ISIMAGE,
}


def register(subcommands, common) -> None:
    parser = subcommands.add_parser(
        "tag",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Point tags at an image, another tag or an exact image",
        usage=USAGE,
        description=describe(
            """
            Set one or more destination tags (STREAM:TAG, or PROJECT/STREAM:TAG) from
            SOURCE, which is one of:

              an image in a registry     docker.io/library/python:3.12  (--source=docker)
              a tag of an image stream   python:3.12                    (--source=istag)
              an image of a stream       python@sha256:49c1...          (--source=isimage)

            Without --source, a SOURCE with a registry host is an external image, one
            with @DIGEST an image of a stream, one with :TAG a tag of a stream.

            Tagging from a tag copies the image that tag has now: the destination stays
            there until tagged again. With --alias it follows the source tag instead
            (only within one stream). External images are imported right away; with
            --scheduled they are checked again periodically (re-run without
            --scheduled to stop). Missing streams are created.
            """
        ),
        epilog=examples(
            """
            # latest gets the image python:3.5 has now
            isctl tag python:3.5 python:latest

            # latest follows python:3.5 from now on
            isctl tag python:3.5 python:latest --alias

            # An external image, checked for updates periodically
            isctl tag docker.io/library/python:3.6.0 python:3.6 --scheduled

            # Pin a tag to an exact image of the stream (a digest prefix is enough)
            isctl tag python@sha256:49c18358df82 python:stable

            # Tag into another project you can edit
            isctl tag python:3.5 team-b/python:3.5

            # Delete tags (and their history)
            isctl tag -d python:3.5 python:3.6
            """
        ),
    )
    parser.add_argument("args", nargs="*", metavar="SOURCE DEST", help=argparse_suppress())
    parser.add_argument("--source", metavar="KIND", help="kind of SOURCE: docker, istag or isimage")
    parser.add_argument(
        "-d", "--delete", action="store_true", help="delete the given tags and their history"
    )
    parser.add_argument(
        "--alias", action="store_true", help="follow the source tag (same stream only)"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="do not import: point at the source as it is",
    )
    parser.add_argument(
        "--scheduled", action="store_true", help="check an external image periodically"
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow plain HTTP and unverified TLS certificates for an external image",
    )
    parser.add_argument("--reference-policy", metavar="POLICY", help="source (default) or local")
    parser.add_argument(
        "--import-mode", metavar="MODE", help="Legacy (default) or PreserveOriginal"
    )
    add_output(parser)
    parser.set_defaults(handler=run, intermixed="args")


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


@dataclass(frozen=True)
class Source:
    text: str
    kind: str
    project: str  # of a tag or image of a stream; "" for an external image
    stream: str


def run(ctx: Context) -> int:
    args = ctx.args
    if args.delete:
        destinations = validate_delete(args)
        with ctx.api() as api:
            answer = api.post(
                path("projects", ctx.project, "untag"), {"destinations": destinations}
            )
        return _print(ctx, answer, answer.get("messages") or [])
    project = ctx.project
    source, destinations = validate_tag(args, project)
    body = request_body(args, source, destinations)
    with ctx.api() as api:
        answer = api.post(path("projects", project, "tag"), body)
    return _print(
        ctx, answer, [result.get("message", "") for result in answer.get("results") or []]
    )


def _print(ctx: Context, answer: dict[str, Any], messages: list[str]) -> int:
    if ctx.args.output:
        ctx.emit(answer, ctx.args.output)
    else:
        for message in messages:
            ctx.out(message)
    return 0


def validate_delete(args) -> list[str]:
    if not args.args:
        raise UsageError(
            "you must specify a source and at least one destination or one or more tags to delete"
        )
    if args.alias:
        raise UsageError("--alias and --delete may not be both specified")
    if args.source:
        raise UsageError("cannot specify a source kind when deleting")
    if args.scheduled or args.insecure:
        raise UsageError("cannot set flags for importing images when deleting a tag")
    if args.import_mode:
        raise UsageError("cannot specify an import mode when deleting")
    for destination in args.args:
        parse_stream_tag(destination, check_tag=False)
    return list(args.args)


def validate_tag(args, current_project: str) -> tuple[Source, list[str]]:
    if len(args.args) < 2:
        raise UsageError(
            "you must specify a source and at least one destination or one or more tags to delete"
        )
    source = parse_source(args.args[0], args.source, current_project)
    destinations = [parse_stream_tag(text) for text in args.args[1:]]
    if args.reference_policy:
        reference_policy(args.reference_policy)
    if source.kind != DOCKER and (args.scheduled or args.insecure):
        raise UsageError("only container images can have importing flags set")
    if args.alias:
        if args.scheduled or args.insecure:
            raise UsageError(
                "cannot set a container image tag as an alias and also set import flags"
            )
        if source.kind != ISTAG:
            raise UsageError("--alias requires a source of the form <stream>:<tag>")
        if any(_other_stream(source, d, current_project) for d in destinations):
            raise UsageError("cannot set alias across different Image Streams")
    if args.import_mode:
        import_mode(args.import_mode)
    return source, list(args.args[1:])


def _other_stream(source: Source, destination: StreamTag, current_project: str) -> bool:
    project = destination.project or current_project
    return (source.project, source.stream) != (project, destination.stream)


def parse_source(text: str, kind_flag: str | None, current_project: str) -> Source:
    kind = ""
    if kind_flag:
        kind = SOURCE_KINDS.get(kind_flag.lower().replace("-", ""), "")
        if not kind:
            raise UsageError(
                f'invalid source "{kind_flag}"; valid values are docker, dockerimage, '
                "imagestreamimage, imagestreamtag, isimage, istag"
            )
    try:
        reference = parse_reference(text, allow_digest_prefix=kind != DOCKER)
    except ValueError as exc:
        raise UsageError(f"invalid SOURCE: {exc}") from None
    if not kind:
        kind = _infer_kind(reference)
    if kind == DOCKER:
        return Source(text=text, kind=kind, project="", stream="")
    if reference.registry:
        raise UsageError("server in SOURCE is only allowed when providing a container image")
    if kind == ISTAG and not reference.tag:
        raise UsageError("--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE")
    if kind == ISIMAGE and not reference.digest:
        raise UsageError("--source=ImageStreamImage requires a valid <name>@<id> in SOURCE")
    components = reference.components
    if len(components) > 2:
        raise UsageError(f'"{text}" must be of the form <stream>:<tag> or <project>/<stream>:<tag>')
    # Like `oc`, the Docker Hub namespace "library" means the current project.
    if len(components) == 2 and components[0] != "library":
        project = components[0]
    else:
        project = current_project
    return Source(text=text, kind=kind, project=project, stream=components[-1])


def _infer_kind(reference) -> str:
    if reference.registry:
        return DOCKER
    if reference.digest:
        return ISIMAGE
    if reference.tag:
        return ISTAG
    return DOCKER


def request_body(args, source: Source, destinations: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": source.text,
        "source_kind": source.kind,
        "destinations": destinations,
        "alias": args.alias,
        "reference": args.reference,
        "scheduled": args.scheduled,
        "insecure": args.insecure,
    }
    if args.reference_policy:
        body["reference_policy"] = reference_policy(args.reference_policy)
    if args.import_mode:
        body["import_mode"] = import_mode(args.import_mode)
    return body
