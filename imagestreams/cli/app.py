"""`isctl`: the command line of Image Streams, an `oc`-compatible client of
the REST API."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

import httpx

from imagestreams.cli import commands
from imagestreams.cli.context import Context
from imagestreams.cli.errors import EXIT_USAGE, CliError
from imagestreams.cli.parsing import HelpFormatter, Parser, describe, global_options

DESCRIPTION = describe(
    """
    isctl keeps track of which container image each of your tags really is.

    An image stream is a named set of tags; every tag points at one image by
    digest and remembers every image it pointed at before. Import images from
    any registry, tag them, roll them back - the same commands as OpenShift's
    `oc` (import-image, tag, describe, get).

    Start with:  isctl login --server https://images.example.com --username alice
    """
)


def build_parser() -> Parser:
    common = global_options()
    parser = Parser(
        prog="isctl",
        description=DESCRIPTION,
        formatter_class=HelpFormatter,
        parents=[common],
        epilog='Run "isctl COMMAND --help" for the options and examples of a command.',
    )
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for register in commands.REGISTRY:
        register(subcommands, common)
    return parser


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 error, 2 bad usage).

    `transport` replaces the network (tests use httpx.MockTransport).
    """
    parser = build_parser()
    try:
        args = parse(parser, list(sys.argv[1:] if argv is None else argv))
    except CliError as exc:
        return _report(exc)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    context = Context(
        args=args,
        env=os.environ,
        stdout=sys.stdout,
        stderr=sys.stderr,
        stdin=sys.stdin,
        transport=transport,
    )
    try:
        return args.handler(context) or 0
    except CliError as exc:
        return _report(exc)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`isctl get is | head -1`): stop without a traceback,
        # and keep Python from failing again when it flushes stdout at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def parse(parser: Parser, argv: list[str]) -> argparse.Namespace:
    """Like `oc`, accept flags between the positional arguments of the commands
    that take several (`isctl tag a:1 --alias a:2`); argparse alone stops
    collecting positionals at the first flag."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        collect = getattr(args, "intermixed", None)
        if not collect or any(extra.startswith("-") for extra in extras):
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        getattr(args, collect).extend(extras)
    return args


def _report(exc: CliError) -> int:
    sys.stderr.write(f"error: {exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"hint: {exc.hint}\n")
    return exc.exit_code
