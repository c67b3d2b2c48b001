"""`isctl tag-policy NAME:TAG`: make an external tag follow the highest
upstream tag matching a rule (beyond oc; like Flux's image policies)."""

from __future__ import annotations

from imagestreams.cli.api import path
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.parsing import HelpFormatter, add_output, describe, examples
from imagestreams.cli.references import parse_stream_tag


def register(subcommands, common) -> None:
    parser = subcommands.add_parser(
        "tag-policy",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Make a tag follow the highest upstream tag matching a rule",
        description=describe(
            """
            Make a tag that imports an external image follow the highest tag of
            the same upstream repository that matches a rule, checked again on
            every scheduled import (the tag becomes scheduled). Rules: a semver
            range, numerical or alphabetical order, optionally only tags matching
            a regular expression and compared by one of its named groups.
            The repository's tags are read at once: a rule that matches nothing
            is refused and changes nothing.
            """
        ),
        epilog=examples(
            """
            # Follow the newest 1.x release
            isctl tag-policy app:stable --semver '>=1.0.0 <2.0.0'

            # Follow the newest build tag like main-20240501-1200, by its timestamp
            isctl tag-policy app:main --numerical \\
                --pattern '^main-(?P<ts>\\d{8}-\\d{4})$' --extract '$ts'

            # Stop following a rule (the tag keeps its current source)
            isctl tag-policy app:stable --remove
            """
        ),
    )
    parser.add_argument("istag", metavar="NAME:TAG")
    rule = parser.add_mutually_exclusive_group(required=True)
    rule.add_argument("--semver", metavar="RANGE", help='npm-style range, e.g. ">=1.2 <2"')
    rule.add_argument("--numerical", action="store_true", help="highest number first")
    rule.add_argument("--alphabetical", action="store_true", help="last in alphabetical order")
    rule.add_argument("--remove", action="store_true", help="stop following a rule")
    parser.add_argument(
        "--order",
        choices=["asc", "desc"],
        default="asc",
        help="asc follows the highest, desc the lowest (not for --semver)",
    )
    parser.add_argument("--pattern", metavar="REGEX", help="only tags matching this expression")
    parser.add_argument("--extract", metavar="GROUP", help='compare this group, e.g. "$ts"')
    add_output(parser)
    parser.set_defaults(handler=run_tag_policy)


def policy_of(args) -> dict | None:
    if args.remove:
        if args.pattern or args.extract:
            raise UsageError("--remove takes no --pattern or --extract")
        return None
    if args.semver is not None:
        if args.order != "asc":
            raise UsageError("--order applies to --numerical and --alphabetical only")
        policy = {"kind": "semver", "range": args.semver}
    else:
        kind = "numerical" if args.numerical else "alphabetical"
        policy = {"kind": kind, "order": args.order}
    if args.extract and not args.pattern:
        raise UsageError("--extract needs a --pattern with the group it names")
    if args.pattern:
        policy["pattern"] = args.pattern
    if args.extract:
        policy["extract"] = args.extract
    return policy


def run_tag_policy(ctx: Context) -> int:
    policy = policy_of(ctx.args)
    name = parse_stream_tag(ctx.args.istag, check_tag=False)
    project = name.project or ctx.project
    istag = f"{name.stream}:{name.tag}"
    with ctx.api() as api:
        answer = api.put(
            path("projects", project, "imagestreamtags", istag, "policy"), {"policy": policy}
        )
    if ctx.args.output:
        ctx.emit(answer, ctx.args.output)
    else:
        ctx.out(answer.get("message", ""))
    return 0
