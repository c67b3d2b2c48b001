"""argparse, shaped like `oc`: global flags accepted before or after the
command, `error: …` messages, help with examples."""

from __future__ import annotations

import argparse
import re
import textwrap
from typing import NoReturn

from imagestreams.cli.errors import UsageError

OUTPUT_FORMATS = ("json", "yaml")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"see '{self.prog} --help' for usage")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def examples(text: str) -> str:
    return "examples:\n" + textwrap.indent(textwrap.dedent(text).strip("\n"), "  ")


def describe(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(s|m|h)?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, None: 1}


def duration(text: str) -> float:
    """`30`, `30s`, `5m`, `1h` -> seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r}: use a positive number of seconds, or e.g. 90s, 5m, 1h"
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def global_options() -> argparse.ArgumentParser:
    """Flags every command takes. SUPPRESS keeps a flag given before the
    command from being reset by the command's own (unset) copy."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("global options")
    suppress = argparse.SUPPRESS
    group.add_argument(
        "--server", default=suppress, metavar="URL", help="API server (env ISCTL_SERVER)"
    )
    group.add_argument("--token", default=suppress, help="API token to use (env ISCTL_TOKEN)")
    group.add_argument(
        "-n",
        "--project",
        default=suppress,
        metavar="NAME",
        help="project to work in (env ISCTL_PROJECT)",
    )
    group.add_argument(
        "--request-timeout",
        type=duration,
        default=suppress,
        metavar="DURATION",
        help="how long to wait for the server (e.g. 90s, 5m)",
    )
    group.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        default=suppress,
        help="do not verify the server's TLS certificate",
    )
    return parent


def add_output(parser: argparse.ArgumentParser, *formats: str) -> None:
    choices = formats or OUTPUT_FORMATS
    parser.add_argument(
        "-o",
        "--output",
        choices=choices,
        metavar="FORMAT",
        help=f"output format: {', '.join(choices)}",
    )


def command_group(subcommands, common, name: str, *, help: str, text: str, example: str, **kwargs):
    """`isctl NAME ACTION …`: a parser whose actions are added with `add_action`;
    NAME alone is a usage error listing them."""
    parser = add_action(subcommands, common, name, help=help, text=text, example=example, **kwargs)
    actions = parser.add_subparsers(title="actions", metavar="ACTION", dest="action")

    def usage(ctx) -> int:
        names = ", ".join(actions.choices)
        raise UsageError(f"give an action: {names}", hint=f"see '{parser.prog} --help'")

    parser.set_defaults(handler=usage)
    return actions


def add_action(actions, common, name: str, *, help: str, text: str, example: str, **kwargs):
    return actions.add_parser(
        name,
        parents=[common],
        formatter_class=HelpFormatter,
        help=help,
        description=describe(text),
        epilog=examples(example),
        **kwargs,
    )
