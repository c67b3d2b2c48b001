"""`isctl import-image`: oc import-image against the API."""

from __future__ import annotations

from typing import Any

from imagestreams.cli.api import path
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.format.images import describe_image
from imagestreams.cli.format.streams import describe_stream
from imagestreams.cli.parsing import HelpFormatter, add_output, describe, examples
from imagestreams.cli.progress import Progress
from imagestreams.cli.references import parse_reference

IMPORT_TIMEOUT = 600.0  # a repository import fetches up to 50 images
REFERENCE_POLICIES = ("source", "local")
IMPORT_MODES = ("Legacy", "PreserveOriginal")


def register(subcommands, common) -> None:
    parser = subcommands.add_parser(
        "import-image",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Import images from a container registry",
        description=describe(
            """
            Import the current image of a tag from a container registry into an image
            stream. Only metadata is copied (digest, platforms, labels, layers), never
            the image itself. Running it again records a new history entry only if the
            upstream tag now points at a different image.

            NAME[:TAG] names the stream and tag (TAG defaults to latest). A new stream
            is created only with --confirm. --all imports every tag of the --from
            repository (up to the server's limit, most important tags first).
            """
        ),
        epilog=examples(
            """
            # Import tag 3.12 into a new image stream "python"
            isctl import-image python:3.12 --from=docker.io/library/python:3.12 --confirm

            # Check the upstream tag again (the tag remembers where it comes from)
            isctl import-image python:3.12

            # Import every tag of a repository into a new stream
            isctl import-image python --from=docker.io/library/python --all --confirm

            # See what would be imported, without changing anything
            isctl import-image python:3.13 --from=docker.io/library/python:3.13 --confirm --dry-run

            # A registry reached over plain HTTP or with a self-signed certificate
            isctl import-image app:1 --from=registry.local:5000/team/app:1 --confirm --insecure
            """
        ),
    )
    parser.add_argument("target", metavar="NAME[:TAG]")
    parser.add_argument("--from", dest="from_image", metavar="IMAGE", help="image to import")
    parser.add_argument(
        "--confirm", action="store_true", help="create the stream or change its import source"
    )
    parser.add_argument(
        "--all", action="store_true", help="import all tags of the --from repository"
    )
    parser.add_argument(
        "--scheduled", action="store_true", help="check the upstream tag periodically"
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow plain HTTP and unverified TLS certificates for this registry",
    )
    parser.add_argument(
        "--reference-policy",
        metavar="POLICY",
        help="source (pull from the original registry, default) or local",
    )
    parser.add_argument(
        "--import-mode", metavar="MODE", help="Legacy (default) or PreserveOriginal"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be imported, change nothing"
    )
    add_output(parser)
    parser.set_defaults(handler=run)


def run(ctx: Context) -> int:
    args = ctx.args
    body = request_body(args)
    project = ctx.project
    with ctx.api() as api, Progress(ctx.stderr, f"Importing {args.target}"):
        result = api.post(
            path("projects", project, "imports"), body, timeout=ctx.timeout(IMPORT_TIMEOUT)
        )
    if args.output:
        ctx.emit(result, args.output)
    else:
        print_result(ctx, result, stream_name(args.target))
    if result.get("failed"):
        ctx.err("error: the import completed with errors")
        return 1
    return 0


def request_body(args) -> dict[str, Any]:
    """Check what `oc` checks before sending anything, then build the request."""
    message = (
        "the image name must be a valid container image pull spec or reference to an image "
        "stream (e.g. myregistry/myteam/image:tag)"
    )
    try:
        target = parse_reference(args.target)
    except ValueError as exc:
        raise UsageError(f"{message}: {exc}") from None
    if target.digest:
        raise UsageError("to import images by ID, use the 'tag' command")
    if target.tag and args.all:
        raise UsageError(f'cannot specify a tag "{args.target}" as well as --all')
    if args.from_image:
        try:
            parse_reference(args.from_image)
        except ValueError as exc:
            raise UsageError(f"--from must be a valid container image pull spec: {exc}") from None
    body: dict[str, Any] = {
        "target": args.target,
        "confirm": args.confirm,
        "all": args.all,
        "scheduled": args.scheduled,
        "insecure": args.insecure,
        "dry_run": args.dry_run,
    }
    if args.from_image:
        body["from"] = args.from_image
    if args.reference_policy:
        body["reference_policy"] = reference_policy(args.reference_policy)
    if args.import_mode:
        body["import_mode"] = import_mode(args.import_mode)
    return body


def reference_policy(value: str) -> str:
    if value.lower() not in REFERENCE_POLICIES:
        raise UsageError("reference policy must be set to 'source' or 'local'")
    return value.lower()


def import_mode(value: str) -> str:
    for mode in IMPORT_MODES:
        if mode.lower() == value.lower():
            return mode
    raise UsageError("valid ImportMode values are Legacy or PreserveOriginal")


def stream_name(target: str) -> str:
    return parse_reference(target).path.rsplit("/", 1)[-1]


def print_result(ctx: Context, result: dict[str, Any], name: str) -> None:
    """Like oc: the outcome, the stream as `describe is` shows it, each
    imported image; failures and skipped tags on their own lines."""
    now = ctx.now()
    sections = [result.get("message") or f"imagestream/{name} imported"]
    stream = result.get("stream")
    if stream and not result.get("dry_run"):
        sections.append(describe_stream(stream, now))
    for status in result.get("statuses") or []:
        if status.get("status") == "Failure":
            ctx.err(f"error: tag {status.get('tag')} failed: {status.get('message', '')}")
        elif status.get("image"):
            # The status knows the pull spec even if its image summary does not.
            image = {"reference": status.get("reference"), "digest": status.get("digest")}
            image.update({k: v for k, v in status["image"].items() if v not in (None, "")})
            sections.append(describe_image(image, f"{name}:{status.get('tag')}", now))
    additional = result.get("additional_tags") or []
    if additional:
        sections.append(
            f"info: The remote repository contained {len(additional)} additional tags which "
            f"were not imported: {', '.join(additional)}"
        )
    ctx.out("\n\n".join(section.rstrip("\n") for section in sections))
