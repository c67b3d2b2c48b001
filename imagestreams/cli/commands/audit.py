"""`isctl audit`: the project's audit log, filtered, as a table or exported
(project admins only)."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from typing import Any

from imagestreams.cli.api import ApiClient, path
from imagestreams.cli.context import Context
from imagestreams.cli.errors import UsageError
from imagestreams.cli.format.teams import audit_table
from imagestreams.cli.parsing import HelpFormatter, describe, examples

DEFAULT_LIMIT = 50
EXPORTS = ("csv", "jsonl")
FILTERS = ("action", "actor", "interface", "target")
_RELATIVE = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def register(subcommands, common) -> None:
    parser = subcommands.add_parser(
        "audit",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Show or export the project's audit log",
        description=describe(
            """
            Who changed what in the project, newest first: WHEN, ACTOR, VIA (web, api,
            api (isctl), admin, task, command, registry), ACTION (e.g. tag.set,
            member.set, trigger.update) and TARGET; -o wide adds the exact time and
            what changed. Shows the latest 50 entries unless --limit says otherwise.

            -o csv and -o jsonl export every matching entry (no --limit), as the
            server writes them; -o json and -o yaml print the API's objects.
            Only project admins can read the audit log.
            """
        ),
        epilog=examples(
            """
            isctl audit
            isctl audit --action tag --since 24h         # tag.* of the last day
            isctl audit --actor alice --since 2026-01-01 --until 2026-02-01 -o wide
            isctl audit --action member -o json --limit 0
            isctl audit -o csv > team-audit.csv           # everything, for a spreadsheet
            """
        ),
    )
    parser.add_argument("--action", metavar="ACTION", help="an action (tag.set) or a prefix (tag)")
    parser.add_argument("--actor", metavar="USER", help="exactly this user or service account")
    parser.add_argument("--interface", metavar="VIA", help="web, api, api (isctl), admin, ...")
    parser.add_argument("--target", metavar="TEXT", help="targets containing this text")
    parser.add_argument(
        "--since",
        type=when,
        metavar="WHEN",
        help="from (inclusive): 2026-01-31, an ISO time, 2h, 7d",
    )
    parser.add_argument("--until", type=when, metavar="WHEN", help="until (exclusive), as --since")
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"newest N entries (default {DEFAULT_LIMIT}; 0: all)",
    )
    parser.add_argument(
        "-o",
        "--output",
        choices=("wide", "json", "yaml", *EXPORTS),
        metavar="FORMAT",
        help="wide, json, yaml, or an export: csv, jsonl",
    )
    parser.set_defaults(handler=run)


def when(text: str) -> str:
    """An ISO date or time as given, or `30m`, `2h`, `7d`, `1w` ago (in UTC)."""
    match = _RELATIVE.fullmatch(text.strip())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return (Context.now() - delta).isoformat()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?", text.strip()):
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use e.g. 2026-01-31, 2026-01-31T12:00:00Z, 30m, 2h, 7d, 1w"
        )
    return text.strip()


def run(ctx: Context) -> int:
    args = ctx.args
    if args.limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    params = {name: getattr(args, name) for name in (*FILTERS, "since", "until")}
    params = {name: value for name, value in params.items() if value}
    with ctx.api() as api:
        if args.output in EXPORTS:
            url = path("projects", ctx.project, "audit", "export")
            api.download(url, ctx.stdout.write, params={**params, "format": args.output})
            return 0
        events = _newest(api, path("projects", ctx.project, "audit"), params, args.limit)
    wide = args.output == "wide"
    empty = f"No audit entries found in {ctx.project} project."
    return ctx.listing(events, empty, lambda: audit_table(events, ctx.now(), wide=wide))


def _newest(api: ApiClient, url: str, params: dict[str, Any], limit: int) -> list[dict]:
    if limit == 0:
        return api.list(url, params=params)
    events: list[dict] = []
    answer = api.get(url, params={**params, "page_size": min(limit, 500)})
    while True:
        events.extend(answer.get("results") or [])
        if len(events) >= limit or not answer.get("next"):
            return events[:limit]
        answer = api.get(answer["next"])
