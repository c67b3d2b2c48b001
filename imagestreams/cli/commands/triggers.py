"""`isctl trigger create|list|describe|edit|enable|disable|test|resend|delete`:
webhooks called when a watched tag moves (docs/cli.md "Triggers")."""

from __future__ import annotations

import argparse
from typing import Any

from imagestreams.cli.api import ApiClient, path
from imagestreams.cli.commands.trigger_kinds import (
    DEFAULT_KIND,
    KINDS,
    add_kind_flags,
    kind_options,
    kinds_help,
    pairs,
)
from imagestreams.cli.context import Context
from imagestreams.cli.errors import CliError, UsageError
from imagestreams.cli.format.triggers import describe_trigger, triggers_table
from imagestreams.cli.parsing import add_action, add_output, command_group

RECENT_DELIVERIES = 10


def register(subcommands, common) -> None:
    actions = command_group(
        subcommands,
        common,
        "trigger",
        aliases=["triggers"],
        help="Call a webhook when a tag moves: create, list, describe, edit, test, ...",
        text="""
        A trigger watches one tag of a stream (or every tag) and calls a webhook
        each time the tag's current image changes: a JSON webhook, a GitHub
        repository_dispatch or a GitLab pipeline. Managing triggers needs the
        editor role: their URLs and deliveries may reveal internal systems.
        """,
        example="""
        isctl trigger create deploy --watch app:prod --url https://ci.example.com/hook
        isctl trigger list
        isctl trigger describe deploy
        isctl trigger edit deploy --url https://ci.example.com/hooks/deploy
        isctl trigger test deploy
        """,
    )
    _register_create(actions, common)
    _register_edit(actions, common)
    _register_list(actions, common)
    _register_describe(actions, common)
    for action, enabled in (("enable", True), ("disable", False)):
        _register_switch(actions, common, action, enabled)
    _register_test(actions, common)
    _register_resend(actions, common)
    _register_delete(actions, common)


EDIT_HINT = "see 'isctl trigger edit --help'"


def _action(actions, common, name: str, help: str, text: str, example: str, **kwargs):
    parser = add_action(actions, common, name, help=help, text=text, example=example, **kwargs)
    parser.description = parser.description.replace("{kinds}", kinds_help())
    return parser


# --- create and edit -------------------------------------------------------------


def _add_spec_flags(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("name", metavar="NAME")
    parser.add_argument(
        "--watch",
        required=creating,
        metavar="STREAM[:TAG]",
        help="the tag to watch; STREAM or STREAM:* watches every tag of the stream",
    )
    parser.add_argument(
        "--kind",
        "--preset",
        dest="kind",
        choices=list(KINDS),
        metavar="KIND",
        help=f"{', '.join(KINDS)} (default {DEFAULT_KIND})" if creating else ", ".join(KINDS),
    )
    parser.add_argument("--url", metavar="URL", help="where to send (derived for some kinds)")
    parser.add_argument(
        "--secret",
        metavar="TEXT",
        help='key of the HMAC-SHA256 signature header; "-" reads it from stdin',
    )
    parser.add_argument(
        "--auth-token",
        metavar="TEXT",
        help="GitHub token, GitLab trigger token, bearer token, or a token allowed to push "
        '(git, https:// URL); "-" reads it from stdin',
    )
    parser.add_argument(
        "--ssh-key-file",
        metavar="PATH",
        help="git over SSH: the deploy key's private key file (no passphrase), sent once and "
        'never shown; "-" reads it from stdin',
    )
    parser.add_argument(
        "--known-hosts-file",
        metavar="PATH",
        help="git over SSH: the server's host key, known_hosts lines (ssh-keyscan, checked) "
        "or its public key file; required with an SSH URL",
    )
    parser.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="an option of the kind not covered by a flag below (repeatable)",
    )
    add_kind_flags(parser)
    add_output(parser)


def _register_create(actions, common) -> None:
    create = _action(
        actions,
        common,
        "create",
        "Create a trigger",
        """
        Create a trigger NAME that calls a webhook when the watched tag's current
        image changes. Kinds:
        {kinds}

        Secrets are sent once and never shown again (describe says whether one is
        set). Pass "-" to read one from stdin instead of the command line.
        """,
        """
        # A JSON webhook, signed with a secret read from stdin
        echo "$HOOK_SECRET" | isctl trigger create deploy --watch app:prod \\
            --url https://ci.example.com/hook --secret -

        # A GitHub repository_dispatch on every tag of the stream
        isctl trigger create gh --watch app --kind github --repository acme/app \\
            --event-type image-updated --auth-token "$GITHUB_TOKEN"

        # A GitLab pipeline with a variable
        isctl trigger create ci --watch app:1 --kind gitlab --gitlab-project acme/app \\
            --ref main --variable DEPLOY=yes --auth-token "$TRIGGER_TOKEN"

        # Write each new image of app:prod into a kustomize overlay (Git write-back)
        isctl trigger create deploy-prod --watch app:prod --kind git \\
            --url https://git.example.com/team/deploy.git --auth-token - \\
            --update file=overlays/prod/kustomization.yaml,type=kustomize,name=app \\
            --push-branch imagestreams/prod < token.txt

        # The same over SSH with a deploy key; the host key checked beforehand
        ssh-keyscan git.example.com > git-host-key   # compare with the host's published keys
        isctl trigger create deploy-prod --watch app:prod --kind git \\
            --url git@git.example.com:team/deploy.git --ssh-key-file deploy_key \\
            --known-hosts-file git-host-key \\
            --update file=overlays/prod/kustomization.yaml,type=kustomize,name=app
        """,
    )
    _add_spec_flags(create, creating=True)
    create.add_argument("--disabled", action="store_true", help="create it paused")
    create.set_defaults(handler=run_create)


def _register_edit(actions, common) -> None:
    edit = _action(
        actions,
        common,
        "edit",
        "Change a trigger's watch, destination, secrets or options",
        """
        Change only what is given; the trigger keeps its name and its delivery log.
        --option and the kind's flags change those options and keep the others
        (--remove-option KEY drops one); a new --kind starts from no options.
        --secret "" or --auth-token "" removes the secret or the token; a Git
        write-back keeps its deploy key unless --ssh-key-file gives a new one.
        """,
        """
        isctl trigger edit deploy --url https://ci.example.com/hooks/deploy
        isctl trigger edit deploy --watch app:staging
        isctl trigger edit ci --variable DEPLOY=no --remove-option ref --ref release
        echo "$NEW_SECRET" | isctl trigger edit deploy --secret -
        """,
    )
    _add_spec_flags(edit, creating=False)
    edit.add_argument(
        "--remove-option", action="append", metavar="KEY", help="drop an option (repeatable)"
    )
    edit.set_defaults(handler=run_edit)


def run_create(ctx: Context) -> int:
    args = ctx.args
    kind = args.kind or DEFAULT_KIND
    body: dict[str, Any] = {"name": args.name, "preset": kind, **_watch(args.watch)}
    body["options"] = _merged_options(ctx, kind, {})
    body.update(_destination(ctx))
    if args.disabled:
        body["enabled"] = False
    with ctx.api() as api:
        trigger = api.post(_triggers(ctx), body)
    return _done(ctx, trigger, "created")


def run_edit(ctx: Context) -> int:
    args = ctx.args
    body: dict[str, Any] = {}
    if args.watch is not None:
        body.update(_watch(args.watch))
    if args.kind:
        body["preset"] = args.kind
    body.update(_destination(ctx))
    with ctx.api() as api:
        url = _trigger(ctx)
        if _changes_options(args):
            current = api.get(url)
            kind = args.kind or current["preset"]
            base = current["options"] if kind == current["preset"] else {}
            body["options"] = _merged_options(ctx, kind, base)
        if not body:
            raise UsageError("nothing to change: give at least one option", hint=EDIT_HINT)
        trigger = api.patch(url, body)
    return _done(ctx, trigger, "edited")


def _watch(text: str) -> dict[str, str]:
    stream, _, tag = text.partition(":")
    if not stream or "/" in stream:
        raise UsageError(f'--watch takes STREAM or STREAM:TAG of this project, not "{text}"')
    return {"stream": stream, "tag": "" if tag == "*" else tag}


def _destination(ctx: Context) -> dict[str, str]:
    args = ctx.args
    if [args.secret, args.auth_token, args.ssh_key_file, args.known_hosts_file].count("-") > 1:
        raise UsageError(
            'only one of --secret, --auth-token and --ssh-key-file can be read from stdin ("-")'
        )
    found = {}
    if args.url is not None:
        found["url"] = args.url
    for flag, field in ((args.secret, "secret"), (args.auth_token, "token")):
        if flag is not None:
            found[field] = ctx.stdin.readline().rstrip("\r\n") if flag == "-" else flag
    if args.ssh_key_file is not None:
        found["ssh_key"] = _read_file(ctx, args.ssh_key_file, "--ssh-key-file")
    return found


def _read_file(ctx: Context, path: str, flag: str) -> str:
    """A small text file given on the command line ("-": stdin)."""
    if path == "-":
        return ctx.stdin.read()
    try:
        with open(path, encoding="utf-8") as file:
            return file.read(256 * 1024)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{flag}: cannot read {path}: {exc}") from None


def _changes_options(args: argparse.Namespace) -> bool:
    return bool(
        args.option
        or getattr(args, "remove_option", None)
        or args.known_hosts_file is not None
        or _kind_flags_given(args)
    )


def _kind_flags_given(args: argparse.Namespace) -> bool:
    return any(
        getattr(args, flag.dest, None) is not None for kind in KINDS.values() for flag in kind.flags
    )


def _merged_options(ctx: Context, kind: str, base: dict[str, Any]) -> dict[str, Any]:
    args = ctx.args
    options = dict(base)
    for key in getattr(args, "remove_option", None) or []:
        options.pop(key, None)
    options.update(pairs(args.option or [], "--option"))
    if args.known_hosts_file is not None:
        if kind != "git":
            raise UsageError(f"--known-hosts-file is an option of git triggers, not {kind}")
        options["known_hosts"] = _read_file(ctx, args.known_hosts_file, "--known-hosts-file")
    for key, value in kind_options(args, kind).items():
        if isinstance(value, dict) and isinstance(options.get(key), dict):
            value = {**options[key], **value}
        options[key] = value
    return options


def _done(ctx: Context, trigger: dict[str, Any], what: str) -> int:
    return ctx.result(trigger, f"trigger/{trigger['name']} {what}")


# --- reading ---------------------------------------------------------------------


def _register_list(actions, common) -> None:
    listing = _action(
        actions,
        common,
        "list",
        "List the project's triggers",
        """
        NAME, WATCHES (STREAM:TAG, * = every tag), KIND, STATE (enabled, paused by
        a person, or disabled after repeated failures) and LAST DELIVERY; -o wide
        adds the URL.
        """,
        """
        isctl trigger list
        isctl trigger list -o wide
        isctl trigger list -o json | jq -r '.items[] | select(.enabled | not) | .name'
        """,
        aliases=["ls"],
    )
    add_output(listing, "wide", "json", "yaml")
    listing.set_defaults(handler=run_list)


def _register_describe(actions, common) -> None:
    show = _action(
        actions,
        common,
        "describe",
        "Show a trigger and its recent deliveries",
        """
        The trigger's settings and state, then its most recent deliveries (newest
        first): ID (what `resend` takes), KIND (change or test), STATUS, the TAG and
        IMAGE the change moved to, ATTEMPTS, RESPONSE (HTTP status or error).
        -o json prints {"trigger": ..., "deliveries": [...]}.
        """,
        """
        isctl trigger describe deploy
        isctl trigger describe deploy --deliveries 50
        isctl trigger describe deploy -o json | jq '.deliveries[0].attempt_log'
        """,
    )
    show.add_argument("name", metavar="NAME")
    show.add_argument(
        "--deliveries",
        type=int,
        default=RECENT_DELIVERIES,
        metavar="N",
        help=f"how many recent deliveries to show (default {RECENT_DELIVERIES}, 0: none)",
    )
    add_output(show)
    show.set_defaults(handler=run_describe)


def run_list(ctx: Context) -> int:
    with ctx.api() as api:
        triggers = api.list(_triggers(ctx))
    wide = ctx.args.output == "wide"
    empty = f"No triggers found in {ctx.project} project."
    return ctx.listing(triggers, empty, lambda: triggers_table(triggers, ctx.now(), wide=wide))


def run_describe(ctx: Context) -> int:
    count = ctx.args.deliveries
    if not 0 <= count <= 500:
        raise UsageError("--deliveries must be between 0 and 500")
    with ctx.api() as api:
        trigger = api.get(_trigger(ctx))
        deliveries = _recent(api, _trigger(ctx, "deliveries"), count)
    if ctx.args.output:
        ctx.emit({"trigger": trigger, "deliveries": deliveries}, ctx.args.output)
    else:
        ctx.stdout.write(describe_trigger(trigger, deliveries, ctx.now()))
    return 0


def _recent(api: ApiClient, url: str, count: int) -> list[dict[str, Any]]:
    if count == 0:
        return []
    return list(api.get(url, params={"page_size": count}).get("results") or [])


# --- actions ---------------------------------------------------------------------


def _register_switch(actions, common, action: str, enabled: bool) -> None:
    text = (
        "Enable a paused trigger, or one disabled after repeated failures (its failure "
        "count starts again from zero)."
        if enabled
        else "Pause a trigger: changes are not delivered until it is enabled again."
    )
    switch = _action(
        actions,
        common,
        action,
        f"{action.capitalize()} a trigger",
        text,
        f"isctl trigger {action} deploy",
    )
    switch.add_argument("name", metavar="NAME")
    add_output(switch)
    switch.set_defaults(handler=run_switch, enabled=enabled)


def run_switch(ctx: Context) -> int:
    with ctx.api() as api:
        trigger = api.patch(_trigger(ctx), {"enabled": ctx.args.enabled})
    return _done(ctx, trigger, "enabled" if ctx.args.enabled else "disabled")


def _register_test(actions, common) -> None:
    test = _action(
        actions,
        common,
        "test",
        "Send a test request now",
        """
        Send one test request now (no retries), describing the watched tag's current
        image with "test": true, and say how it went. Exits 1 when the request
        failed. It is kept in the delivery log but never disables the trigger.
        For a Git write-back (kind git) it is a dry run: it prints the diff the
        watched tag's current image would make, and commits nothing.
        """,
        "isctl trigger test deploy",
    )
    test.add_argument("name", metavar="NAME")
    add_output(test)
    test.set_defaults(handler=run_test)


def run_test(ctx: Context) -> int:
    with ctx.api() as api:
        result = api.post(_trigger(ctx, "test"))
    if ctx.args.output:
        ctx.emit(result, ctx.args.output)
        return 0 if result["succeeded"] else 1
    delivery = result["delivery"]
    attempts = delivery.get("attempt_log") or [{}]
    url = attempts[-1].get("url", "")
    if attempts[-1].get("diff") or (result["succeeded"] and not delivery.get("response_status")):
        return _dry_run(ctx, result, attempts[-1])
    if result["succeeded"]:
        ctx.out(f"Test delivery {delivery['id']} to {url}: HTTP {delivery['response_status']}")
        return 0
    status = delivery.get("response_status")
    reason = f"HTTP {status}" if status else delivery.get("error") or "no answer"
    raise CliError(f"test delivery {delivery['id']} to {url} failed: {reason}")


def _dry_run(ctx: Context, result: dict[str, Any], attempt: dict[str, Any]) -> int:
    """A Git write-back's test: what it would commit, nothing committed."""
    delivery = result["delivery"]
    if not result["succeeded"]:
        raise CliError(f"dry run {delivery['id']} failed: {delivery.get('error') or 'no answer'}")
    ctx.out(f"Dry run {delivery['id']} of {attempt.get('url', '')}: {attempt.get('response_body')}")
    if attempt.get("diff"):
        ctx.stdout.write(attempt["diff"])
    return 0


def _register_resend(actions, common) -> None:
    resend = _action(
        actions,
        common,
        "resend",
        "Send a finished delivery again",
        """
        Queue a finished change delivery to be sent again, with the same delivery id
        (receivers deduplicate by the X-Imagestreams-Delivery header) and a fresh
        round of attempts. The trigger must be enabled; test deliveries are not
        re-sent (run `trigger test` again).
        """,
        """
        isctl trigger describe deploy          # the ID column
        isctl trigger resend deploy 3f0c2a4e-5b1d-4c8e-9a77-0d5e6f1b2c3d
        """,
    )
    resend.add_argument("name", metavar="NAME")
    resend.add_argument("delivery", metavar="DELIVERY_ID")
    add_output(resend)
    resend.set_defaults(handler=run_resend)


def run_resend(ctx: Context) -> int:
    with ctx.api() as api:
        delivery = api.post(_trigger(ctx, "deliveries", ctx.args.delivery, "resend"))
    return ctx.result(delivery, f"delivery/{delivery['id']} queued to be sent again")


def _register_delete(actions, common) -> None:
    delete = _action(
        actions,
        common,
        "delete",
        "Delete a trigger and its delivery log",
        "Delete the trigger with its delivery log; pending deliveries are never sent.",
        "isctl trigger delete deploy",
    )
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=run_delete)


def run_delete(ctx: Context) -> int:
    with ctx.api() as api:
        api.delete(_trigger(ctx))
    ctx.out(f"trigger/{ctx.args.name} deleted")
    return 0


def _triggers(ctx: Context) -> str:
    return path("projects", ctx.project, "triggers")


def _trigger(ctx: Context, *rest: str) -> str:
    return path("projects", ctx.project, "triggers", ctx.args.name, *rest)
