"""`isctl member add|list|remove`: who is in the project, with which role
(project admins only)."""

from __future__ import annotations

from imagestreams.cli.api import path
from imagestreams.cli.context import Context
from imagestreams.cli.format.teams import members_table
from imagestreams.cli.parsing import add_action, add_output, command_group

ROLES = ("viewer", "editor", "admin")
ROLES_HELP = "viewer (pull, read), editor (also import, tag, triggers), admin (also the team)"


def register(subcommands, common) -> None:
    actions = command_group(
        subcommands,
        common,
        "member",
        aliases=["members"],
        help="Add people to the project, change their role, remove them",
        text=f"""
        The members of a project and their roles: {ROLES_HELP}.
        Only project admins see and change them; the last admin cannot be
        removed or demoted.
        """,
        example="""
        isctl member add alice --role editor
        isctl member list
        isctl member remove alice
        """,
    )
    add = add_action(
        actions,
        common,
        "add",
        aliases=["set"],
        help="Add a user, or change the role of a member",
        text="""
        Give USER the role in the current project: adds them, or changes their role
        if they are a member already (the user must exist on the server).
        """,
        example="""
        isctl member add alice                 # as a viewer
        isctl member add alice --role admin    # or promote an existing member
        isctl -n web member add bob --role editor
        """,
    )
    add.add_argument("username", metavar="USER")
    add.add_argument(
        "--role", choices=ROLES, default="viewer", help=f"{ROLES_HELP}; default viewer"
    )
    add_output(add)
    add.set_defaults(handler=run_add)

    listing = add_action(
        actions,
        common,
        "list",
        aliases=["ls"],
        help="List the members and their roles",
        text="USERNAME, ROLE and MEMBER SINCE, in the order the server gives them.",
        example="""
        isctl member list
        isctl member list -o json | jq -r '.items[] | select(.role == "admin") | .username'
        """,
    )
    add_output(listing)
    listing.set_defaults(handler=run_list)

    remove = add_action(
        actions,
        common,
        "remove",
        aliases=["rm"],
        help="Remove a member from the project",
        text="Remove USER from the project; their own API tokens stay, but no longer reach it.",
        example="isctl member remove alice",
    )
    remove.add_argument("username", metavar="USER")
    remove.set_defaults(handler=run_remove)


def _members(ctx: Context, *rest: str) -> str:
    return path("projects", ctx.project, "members", *rest)


def run_add(ctx: Context) -> int:
    with ctx.api() as api:
        member = api.put(_members(ctx, ctx.args.username), {"role": ctx.args.role})
    return ctx.result(
        member, f'member/{member["username"]} is {member["role"]} in project "{ctx.project}"'
    )


def run_list(ctx: Context) -> int:
    with ctx.api() as api:
        members = api.list(_members(ctx))
    empty = f"No members found in {ctx.project} project."
    return ctx.listing(members, empty, lambda: members_table(members, ctx.now()))


def run_remove(ctx: Context) -> int:
    with ctx.api() as api:
        api.delete(_members(ctx, ctx.args.username))
    ctx.out(f'member/{ctx.args.username} removed from project "{ctx.project}"')
    return 0
