"""`isctl share grant|list|revoke`: read-only (pull) access to the project's
streams for another project or one user (project admins only)."""

from __future__ import annotations

from imagestreams.cli.api import path
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.format.teams import share_target, shares_table
from imagestreams.cli.parsing import add_action, add_output, command_group


def register(subcommands, common) -> None:
    actions = command_group(
        subcommands,
        common,
        "share",
        aliases=["shares"],
        help="Share streams read-only with another project or a user",
        text="""
        A share gives view (pull) access to one stream, or to every stream of the
        project, to another project (its members and service accounts) or to one
        user. They see the streams in `isctl get is` and can pull and tag from
        them, never change them. Only project admins manage shares.
        """,
        example="""
        isctl share grant python --to-project web
        isctl share list
        isctl share revoke 7
        """,
    )
    grant = add_action(
        actions,
        common,
        "grant",
        help="Share one stream, or every stream, with a project or a user",
        text="""
        Share STREAM (or, with --all, every stream of the project, including
        streams created later) with a project or a user. Granting a share that
        exists prints it again.
        """,
        example="""
        isctl share grant python --to-project web
        isctl share grant --all --to-user alice
        """,
    )
    which = grant.add_mutually_exclusive_group(required=True)
    which.add_argument("stream", nargs="?", metavar="STREAM", help="the stream to share")
    which.add_argument("--all", action="store_true", help="every stream of the project")
    target = grant.add_mutually_exclusive_group(required=True)
    target.add_argument("--to-project", metavar="PROJECT", help="share with this project")
    target.add_argument("--to-user", metavar="USER", help="share with this user")
    add_output(grant)
    grant.set_defaults(handler=run_grant)

    listing = add_action(
        actions,
        common,
        "list",
        aliases=["ls"],
        help="List the project's shares",
        text="ID (what `revoke` takes), STREAM (* = every stream), SHARED WITH, BY, CREATED.",
        example="isctl share list",
    )
    add_output(listing)
    listing.set_defaults(handler=run_list)

    revoke = add_action(
        actions,
        common,
        "revoke",
        help="End a share",
        text="End the share ID (see `isctl share list`); the access it gave ends at once.",
        example="isctl share revoke 7",
    )
    revoke.add_argument("share", type=int, metavar="ID")
    revoke.set_defaults(handler=run_revoke)


def _shares(ctx: Context, *rest: str) -> str:
    return path("projects", ctx.project, "shares", *rest)


def run_grant(ctx: Context) -> int:
    args = ctx.args
    if args.stream is not None and "/" in args.stream:
        raise UsageError(
            f'"{args.stream}" is not a stream of this project',
            hint="choose the project that owns the stream with -n PROJECT",
        )
    body: dict[str, str | None] = {"stream": None if args.all else args.stream}
    if args.to_project:
        body["target_project"] = args.to_project
    else:
        body["target_user"] = args.to_user
    with ctx.api() as api:
        share = api.post(_shares(ctx), body)
    what = f"stream {share['stream']}" if share["stream"] else "every stream"
    return ctx.result(
        share, f"share/{share['id']}: {what} of {ctx.project} shared with {share_target(share)}"
    )


def run_list(ctx: Context) -> int:
    with ctx.api() as api:
        shares = api.list(_shares(ctx))
    empty = f"No shares found in {ctx.project} project."
    return ctx.listing(shares, empty, lambda: shares_table(shares, ctx.now()))


def run_revoke(ctx: Context) -> int:
    with ctx.api() as api:
        api.delete(_shares(ctx, str(ctx.args.share)))
    ctx.out(f"share/{ctx.args.share} revoked")
    return 0
