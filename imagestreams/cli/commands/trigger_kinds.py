"""What each kind of trigger takes on the command line, beyond the options
every trigger has (--watch, --url, --secret, --auth-token, --option).

A kind's flags fill the API's `options` object (docs/api.md "Triggers");
`--option KEY=VALUE` reaches any option the table does not name. To teach
`isctl trigger create/edit` a new kind, add one entry to KINDS."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from imagestreams.cli.errors import UsageError


@dataclass(frozen=True)
class KindFlag:
    """`--flag VALUE` setting `options[option]`; `pairs`: repeatable
    `--flag NAME=VALUE` collected into an object; `items`: repeatable
    `--flag KEY=VALUE,KEY=VALUE` collected into a list of objects."""

    flag: str
    option: str
    help: str
    metavar: str = "TEXT"
    pairs: bool = False
    items: bool = False

    @property
    def repeated(self) -> bool:
        return self.pairs or self.items

    @property
    def dest(self) -> str:
        return "kind_" + self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    flags: tuple[KindFlag, ...] = ()


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("generic", "JSON webhook: POSTs the change to --url"),
        Kind(
            "github",
            "GitHub repository_dispatch (needs --auth-token)",
            (
                KindFlag("--repository", "repository", "owner/name of the repository"),
                KindFlag("--event-type", "event_type", "the dispatch's event_type"),
                KindFlag("--github-api-url", "api_url", "GitHub Enterprise API URL", "URL"),
            ),
        ),
        Kind(
            "gitlab",
            "GitLab pipeline trigger (needs --auth-token, the trigger token)",
            (
                KindFlag("--gitlab-project", "project", "project id or path, e.g. group/app"),
                KindFlag("--ref", "ref", "branch or tag to run the pipeline on"),
                KindFlag(
                    "--variable",
                    "variables",
                    "pipeline variable (repeatable)",
                    "NAME=VALUE",
                    pairs=True,
                ),
                KindFlag("--gitlab-url", "gitlab_url", "self-managed GitLab URL", "URL"),
            ),
        ),
        Kind(
            "git",
            "Git write-back: commits the new image to the repository at --url "
            "(https:// with --auth-token, a token allowed to push; or an SSH URL with "
            "--ssh-key-file, a deploy key, and --known-hosts-file, the server's host key)",
            (
                KindFlag(
                    "--update",
                    "updates",
                    "what to write where (repeatable); type kustomize (name=), field (path=), "
                    "helm (repository=, digest=) or marker; tag= limits it to one tag",
                    "file=PATH,type=TYPE[,KEY=VALUE]",
                    items=True,
                ),
                KindFlag("--branch", "branch", "branch to read (default main)", "BRANCH"),
                KindFlag(
                    "--push-branch", "push_branch", "branch to push (default: --branch)", "BRANCH"
                ),
                KindFlag("--git-username", "username", "HTTPS user name sent with the token"),
                KindFlag("--author-name", "author_name", "commit author"),
                KindFlag("--author-email", "author_email", "commit author's e-mail", "EMAIL"),
                KindFlag(
                    "--message",
                    "message",
                    "commit message template: {project} {stream} {tag} {digest} "
                    "{previous_digest} {pull_spec} {cause} {actor} {trigger} {delivery_id}",
                ),
            ),
        ),
    )
}
DEFAULT_KIND = "generic"


def add_kind_flags(parser: argparse.ArgumentParser) -> None:
    for kind in KINDS.values():
        if not kind.flags:
            continue
        group = parser.add_argument_group(f"{kind.name} options")
        for flag in kind.flags:
            if flag.repeated:
                group.add_argument(
                    flag.flag, dest=flag.dest, action="append", metavar=flag.metavar, help=flag.help
                )
            else:
                group.add_argument(flag.flag, dest=flag.dest, metavar=flag.metavar, help=flag.help)


def kinds_help() -> str:
    return "\n".join(f"  {kind.name:<10}{kind.title}" for kind in KINDS.values())


def kind_options(args: argparse.Namespace, kind: str) -> dict[str, object]:
    """The options given with the kind's flags; a flag of another kind is an error."""
    options: dict[str, object] = {}
    for other in KINDS.values():
        for flag in other.flags:
            value = getattr(args, flag.dest, None)
            if value is None:
                continue
            if other.name != kind:
                raise UsageError(f"{flag.flag} is an option of {other.name} triggers, not {kind}")
            if flag.items:
                options[flag.option] = [items(text, flag.flag) for text in value]
            else:
                options[flag.option] = pairs(value, flag.flag) if flag.pairs else value
    return options


def items(text: str, flag: str) -> dict[str, str]:
    """`file=a.yaml,type=field,path=spec.containers[name=app].image`: one
    object; a value keeps any `=` after the first."""
    return pairs([part.strip() for part in text.split(",") if part.strip()], flag)


def pairs(values: list[str], flag: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name:
            raise UsageError(f'{flag} takes NAME=VALUE, not "{value}"')
        found[name] = text
    return found
