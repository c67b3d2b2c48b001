"""`isctl history NAME:TAG`, `isctl rollback NAME:TAG` and `isctl unpin NAME:TAG`."""

from __future__ import annotations

from imagestreams.cli.api import path
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.format.tables import history_table
from imagestreams.cli.output import as_list
from imagestreams.cli.parsing import HelpFormatter, add_output, describe, examples
from imagestreams.cli.references import StreamTag, parse_stream_tag


def register(subcommands, common) -> None:
    history = subcommands.add_parser(
        "history",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Show the images a tag pointed at, newest first",
        description=describe(
            """
            List every image a tag has pointed at, the current one first (STEP 0).
            STEP is what `rollback --steps` takes; IMAGE is a digest prefix that
            `rollback --to` accepts. CAUSE says how the entry came to be (import,
            scheduled, tag, alias, rollback, push, reference) and BY who did it.
            """
        ),
        epilog=examples(
            """
            isctl history python:3.12
            isctl history python:3.12 -o wide     # with the full pull specs
            isctl history python:3.12 -o json
            """
        ),
    )
    history.add_argument("istag", metavar="NAME:TAG")
    add_output(history, "wide", "json", "yaml")
    history.set_defaults(handler=run_history)

    rollback = subcommands.add_parser(
        "rollback",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Point a tag back at an earlier image of its history",
        description=describe(
            """
            Point a tag at an earlier image of its history: the previous one by
            default, N entries back with --steps N, or a given image with --to.

            The image is recorded as a new history entry (nothing is lost) and the
            tag is pinned to it: a scheduled import stops, so the next check cannot
            undo the rollback. `isctl unpin NAME:TAG` follows the source again.
            """
        ),
        epilog=examples(
            """
            # Back to the previous image
            isctl rollback python:3.12

            # Two entries back, or to an exact image (a digest prefix is enough)
            isctl rollback python:3.12 --steps 2
            isctl rollback python:3.12 --to sha256:49c18358df82
            """
        ),
    )
    rollback.add_argument("istag", metavar="NAME:TAG")
    target = rollback.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="DIGEST", help="digest or unique digest prefix")
    target.add_argument("--steps", type=int, metavar="N", help="how many entries back (default 1)")
    add_output(rollback)
    rollback.set_defaults(handler=run_rollback)

    unpin = subcommands.add_parser(
        "unpin",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Make a pinned tag follow its upstream again",
        description=describe(
            """
            Undo the pin of a rollback, or of tagging an exact image into a tag
            that followed something: the tag follows what it followed before
            (an external image, scheduled if it was, or the tag it was an alias
            of), with the flags it had. An external image is imported now.

            oc has no such command; there one tags the source again
            (`oc tag --source=docker IMAGE STREAM:TAG --scheduled`): unpin does
            that without having to remember the source and its flags.
            """
        ),
        epilog=examples(
            """
            isctl rollback python:3.12          # pinned to the previous image
            isctl unpin python:3.12             # follows docker.io/library/python:3.12 again
            isctl unpin python:3.12 -o json
            """
        ),
    )
    unpin.add_argument("istag", metavar="NAME:TAG")
    add_output(unpin)
    unpin.set_defaults(handler=run_unpin)


def _istag(ctx: Context) -> tuple[str, str]:
    """(project, "stream:tag") of the NAME:TAG argument."""
    name: StreamTag = parse_stream_tag(ctx.args.istag, check_tag=False)
    return name.project or ctx.project, f"{name.stream}:{name.tag}"


def run_history(ctx: Context) -> int:
    project, istag = _istag(ctx)
    with ctx.api() as api:
        answer = api.get(path("projects", project, "imagestreamtags", istag, "history"))
    items = answer.get("items") or []
    output = ctx.args.output
    if output in ("json", "yaml"):
        ctx.emit(as_list(items), output)
    elif not items:
        ctx.err(f"{istag} has no history yet")
    else:
        ctx.stdout.write(history_table(items, ctx.now(), wide=output == "wide"))
    return 0


def run_rollback(ctx: Context) -> int:
    args = ctx.args
    if args.steps is not None and args.steps < 1:
        raise UsageError("--steps must be a positive number")
    project, istag = _istag(ctx)
    body = {}
    if args.to:
        body["to"] = args.to
    if args.steps is not None:
        body["steps"] = args.steps
    with ctx.api() as api:
        answer = api.post(path("projects", project, "imagestreamtags", istag, "rollback"), body)
    if args.output:
        ctx.emit(answer, args.output)
    else:
        ctx.out(answer.get("message", ""))
    return 0


def run_unpin(ctx: Context) -> int:
    project, istag = _istag(ctx)
    with ctx.api() as api:
        answer = api.post(path("projects", project, "imagestreamtags", istag, "unpin"), {})
    if ctx.args.output:
        ctx.emit(answer, ctx.args.output)
    else:
        ctx.out(answer.get("message", ""))
    return 0
