"""`isctl serviceaccount …`: robot accounts of a project (for CI and
deployments) and their API tokens (project admins only)."""

from __future__ import annotations

from imagestreams.cli.api import path
from imagestreams.cli.commands.members import ROLES, ROLES_HELP
from imagestreams.cli.context import Context
from imagestreams.cli.format.teams import accounts_table, tokens_table
from imagestreams.cli.parsing import add_action, add_output, command_group


def register(subcommands, common) -> None:
    actions = command_group(
        subcommands,
        common,
        "serviceaccount",
        aliases=["sa", "serviceaccounts"],
        help="Service accounts and their tokens, for CI and deployments",
        text="""
        A service account belongs to one project, has a role there like a member,
        and acts only through its API tokens; history and the audit log name it
        serviceaccount:PROJECT:NAME. Only project admins manage them.
        """,
        example="""
        isctl sa create ci --role editor --description "GitLab CI"
        TOKEN=$(isctl sa new-token ci --name gitlab --expires-in-days 90)
        isctl sa tokens ci
        isctl sa revoke-token ci 12
        """,
    )
    _register_accounts(actions, common)
    _register_tokens(actions, common)


def _register_accounts(actions, common) -> None:
    create = add_action(
        actions,
        common,
        "create",
        help="Create a service account",
        text=f"Create the service account NAME with a role: {ROLES_HELP}.",
        example='isctl sa create ci --role editor --description "GitLab CI"',
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", choices=ROLES, default="viewer", help="default viewer")
    create.add_argument("--description", default="", metavar="TEXT")
    add_output(create)
    create.set_defaults(handler=run_create)

    listing = add_action(
        actions,
        common,
        "list",
        aliases=["ls"],
        help="List the project's service accounts",
        text="NAME, ROLE, USERNAME (as history and the audit log show it), CREATED.",
        example="isctl sa list",
    )
    add_output(listing)
    listing.set_defaults(handler=run_list)

    role = add_action(
        actions,
        common,
        "set-role",
        help="Change a service account's role",
        text="Change the role of the service account NAME; its tokens keep working.",
        example="isctl sa set-role ci viewer",
    )
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", choices=ROLES, metavar="ROLE", help=", ".join(ROLES))
    add_output(role)
    role.set_defaults(handler=run_set_role)

    delete = add_action(
        actions,
        common,
        "delete",
        help="Delete a service account and all its tokens",
        text="Delete the service account NAME; all its tokens stop working at once.",
        example="isctl sa delete ci",
    )
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=run_delete)


def _register_tokens(actions, common) -> None:
    new = add_action(
        actions,
        common,
        "new-token",
        help="Create an API token for a service account (shown once)",
        text="""
        Create an API token for the service account NAME and print it on stdout,
        alone, so that it can be captured. It is shown only this once: store it
        now (the server keeps only a hash). Use it as ISCTL_TOKEN or as a bearer
        token; `isctl login --token` also accepts it.
        """,
        example="""
        TOKEN=$(isctl sa new-token ci --name gitlab --expires-in-days 90)
        isctl sa new-token ci -o json      # with its id, prefix and expiry
        """,
    )
    new.add_argument("name", metavar="NAME")
    new.add_argument("--name", dest="token_name", default="isctl", metavar="TEXT",
                     help="what the token is for (default isctl)")  # fmt: skip
    new.add_argument(
        "--expires-in-days",
        type=int,
        metavar="DAYS",
        help="days until it stops working; default: never",
    )
    add_output(new)
    new.set_defaults(handler=run_new_token)

    tokens = add_action(
        actions,
        common,
        "tokens",
        help="List a service account's tokens",
        text="ID (what `revoke-token` takes), NAME, PREFIX (the token's first characters), "
        "CREATED, LAST USED, EXPIRES. The tokens themselves are never shown again.",
        example="isctl sa tokens ci",
    )
    tokens.add_argument("name", metavar="NAME")
    add_output(tokens)
    tokens.set_defaults(handler=run_tokens)

    revoke = add_action(
        actions,
        common,
        "revoke-token",
        help="Revoke a service account's token",
        text="Revoke the token ID of the service account NAME; it stops working at once.",
        example="isctl sa revoke-token ci 12",
    )
    revoke.add_argument("name", metavar="NAME")
    revoke.add_argument("token_id", type=int, metavar="ID")
    revoke.set_defaults(handler=run_revoke_token)


def _accounts(ctx: Context, *rest: str) -> str:
    return path("projects", ctx.project, "serviceaccounts", *rest)


def run_create(ctx: Context) -> int:
    body = {"name": ctx.args.name, "role": ctx.args.role, "description": ctx.args.description}
    with ctx.api() as api:
        account = api.post(_accounts(ctx), body)
    return ctx.result(account, f"serviceaccount/{account['name']} created")


def run_list(ctx: Context) -> int:
    with ctx.api() as api:
        accounts = api.list(_accounts(ctx))
    empty = f"No service accounts found in {ctx.project} project."
    return ctx.listing(accounts, empty, lambda: accounts_table(accounts, ctx.now()))


def run_set_role(ctx: Context) -> int:
    with ctx.api() as api:
        account = api.patch(_accounts(ctx, ctx.args.name), {"role": ctx.args.role})
    return ctx.result(account, f"serviceaccount/{account['name']} is {account['role']}")


def run_delete(ctx: Context) -> int:
    with ctx.api() as api:
        api.delete(_accounts(ctx, ctx.args.name))
    ctx.out(f"serviceaccount/{ctx.args.name} deleted")
    return 0


def run_new_token(ctx: Context) -> int:
    days = ctx.args.expires_in_days
    body: dict[str, object] = {"name": ctx.args.token_name}
    if days is not None:
        body["expires_in_days"] = days
    with ctx.api() as api:
        token = api.post(_accounts(ctx, ctx.args.name, "tokens"), body)
    ctx.result(token, token["token"])
    ctx.err(f"The token is shown only once: store it now (id {token['id']}).")
    return 0


def run_tokens(ctx: Context) -> int:
    with ctx.api() as api:
        tokens = api.list(_accounts(ctx, ctx.args.name, "tokens"))
    empty = f"serviceaccount/{ctx.args.name} has no tokens"
    return ctx.listing(tokens, empty, lambda: tokens_table(tokens, ctx.now()))


def run_revoke_token(ctx: Context) -> int:
    with ctx.api() as api:
        api.delete(_accounts(ctx, ctx.args.name, "tokens", str(ctx.args.token_id)))
    ctx.out(f"token {ctx.args.token_id} of serviceaccount/{ctx.args.name} revoked")
    return 0
