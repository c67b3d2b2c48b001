"""login, logout, whoami, project, projects, new-project."""

from __future__ import annotations

import getpass
import socket

from imagestreams.cli.api import ApiClient, ApiError, path
from imagestreams.cli.context import Context, normalise_server
from imagestreams.cli.errors import CliError, UsageError
from imagestreams.cli.parsing import HelpFormatter, add_output, describe, examples

NO_PROJECTS = (
    "You don't have any projects. You can create one with\n\n    isctl new-project <projectname>"
)


def register(subcommands, common) -> None:
    login = subcommands.add_parser(
        "login",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Log in to a server",
        description=describe(
            """
            Log in to an Image Streams server and remember it, the token and the
            project in the configuration file ($XDG_CONFIG_HOME/isctl/config.json,
            or $ISCTL_CONFIG), readable only by you.

            With --username, isctl asks for the password (or reads it from stdin with
            --password-stdin) and creates an API token with it; the password itself is
            never stored. With --token, the token is checked and saved.
            """
        ),
        epilog=examples(
            """
            # Log in with a username; the password is asked for
            isctl login --server https://images.example.com --username alice

            # Log in from a script, the password on stdin
            echo "$PASSWORD" | isctl login --server https://images.example.com \
                -u ci --password-stdin

            # Log in with an existing API token
            isctl login --server https://images.example.com --token isk_...
            """
        ),
    )
    login.add_argument("-u", "--username", help="log in as this user (or give --token)")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.set_defaults(handler=run_login)

    logout = subcommands.add_parser(
        "logout",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Revoke the token and forget it",
        description="Revoke the API token in use and remove it from the configuration.",
        epilog=examples("isctl logout"),
    )
    logout.set_defaults(handler=run_logout)

    whoami = subcommands.add_parser(
        "whoami",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Show who you are logged in as",
        description="Print the name of the user the token belongs to.",
        epilog=examples(
            """
            isctl whoami
            # The token, e.g. for curl -H "Authorization: Bearer $(isctl whoami -t)"
            isctl whoami --show-token
            """
        ),
    )
    whoami.add_argument("-t", "--show-token", action="store_true", help="print the token")
    whoami.add_argument("--show-server", action="store_true", help="print the server")
    whoami.set_defaults(handler=run_whoami)

    project = subcommands.add_parser(
        "project",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Show or switch the current project",
        description="Without NAME, show the current project; with NAME, switch to it.",
        epilog=examples(
            """
            isctl project
            isctl project team-a
            """
        ),
    )
    project.add_argument("name", nargs="?", metavar="NAME")
    project.add_argument("-q", "--short", action="store_true", help="print only the name")
    project.set_defaults(handler=run_project)

    projects = subcommands.add_parser(
        "projects",
        parents=[common],
        formatter_class=HelpFormatter,
        help="List the projects you can see",
        description="List the projects you are a member of; the current one is marked with *.",
        epilog=examples("isctl projects"),
    )
    add_output(projects)
    projects.set_defaults(handler=run_projects)

    new_project = subcommands.add_parser(
        "new-project",
        parents=[common],
        formatter_class=HelpFormatter,
        help="Create a project and switch to it",
        description="Create a project (you become its admin) and make it the current one.",
        epilog=examples(
            """
            isctl new-project team-a
            isctl new-project web --display-name "Web team" --description "Front-end images"
            """
        ),
    )
    new_project.add_argument("name", metavar="NAME")
    new_project.add_argument("--display-name", default="")
    new_project.add_argument("--description", default="")
    new_project.set_defaults(handler=run_new_project)


# -- login / logout ---------------------------------------------------------------------
def run_login(ctx: Context) -> int:
    args = ctx.args
    server = _login_server(ctx)
    token = getattr(args, "token", None) or ""
    if token and args.username:
        raise UsageError("give either --token or --username, not both")
    if args.password_stdin and not args.username:
        raise UsageError("--password-stdin needs --username")
    if token:
        username = _check_token(ctx, server, token)
        token_id = None
        ctx.out(f'Logged into "{server}" as "{username}" using the token provided.')
    else:
        username = args.username or _ask_username(ctx)
        password = _password(ctx)
        created = _create_token(ctx, server, username, password)
        token, token_id = created["token"], created.get("id")
        ctx.out("Login successful.")
    previous = ctx.config
    keep_project = previous.project if previous.server == server else ""
    previous.server, previous.token, previous.token_id = server, token, token_id
    previous.username = username
    previous.insecure_skip_tls_verify = bool(getattr(args, "insecure_skip_tls_verify", False))
    previous.project = _choose_project(ctx, server, token, keep_project)
    ctx.save_config()
    return 0


def _login_server(ctx: Context) -> str:
    server = getattr(ctx.args, "server", None) or ctx.env.get("ISCTL_SERVER") or ctx.config.server
    if not server:
        raise UsageError("--server is required the first time you log in")
    return normalise_server(server)


def _client(ctx: Context, server: str, **auth) -> ApiClient:
    verify = not getattr(ctx.args, "insecure_skip_tls_verify", False)
    return ApiClient(
        server, timeout=ctx.timeout(30.0), verify=verify, transport=ctx.transport, **auth
    )


def _check_token(ctx: Context, server: str, token: str) -> str:
    with _client(ctx, server, token=token) as api:
        try:
            return api.get("whoami")["username"]
        except ApiError as exc:
            if exc.status == 401:
                raise CliError(f"the token was not accepted by {server}: {exc.message}") from None
            raise


def _ask_username(ctx: Context) -> str:
    if not ctx.stdin.isatty():
        raise UsageError("give --username or --token (there is no terminal to ask on)")
    ctx.stderr.write("Username: ")
    ctx.stderr.flush()
    username = ctx.stdin.readline().strip()
    if not username:
        raise CliError("a username is required")
    return username


def _password(ctx: Context) -> str:
    if ctx.args.password_stdin:
        password = ctx.stdin.readline().rstrip("\r\n")
    elif ctx.stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        raise UsageError(
            "there is no terminal to ask for the password on: pipe it in with --password-stdin"
        )
    if not password:
        raise CliError("a password is required")
    return password


def _create_token(ctx: Context, server: str, username: str, password: str) -> dict:
    name = f"isctl on {socket.gethostname() or 'unknown host'}"
    with _client(ctx, server, basic=(username, password)) as api:
        try:
            return api.post("tokens", {"name": name})
        except ApiError as exc:
            if exc.status in (401, 403):
                raise CliError(f"login failed: wrong username or password for {server}") from None
            raise


def _choose_project(ctx: Context, server: str, token: str, keep: str) -> str:
    """Keep the previous project if still visible; else the only one; else ask."""
    with _client(ctx, server, token=token) as api:
        names = [project["name"] for project in api.list("projects")]
    if keep in names:
        chosen = keep
    elif len(names) == 1:
        chosen = names[0]
    else:
        chosen = ""
    if not names:
        ctx.out("\n" + NO_PROJECTS)
    elif len(names) > 1:
        ctx.out(
            "\nYou have access to the following projects and can switch between them with "
            "'isctl project <projectname>':\n"
        )
        for name in names:
            ctx.out(f"  {'* ' if name == chosen else '  '}{name}")
    if chosen:
        ctx.out(f'\nUsing project "{chosen}".')
    return chosen


def run_logout(ctx: Context) -> int:
    server, token = ctx.server, ctx.token
    if not token:
        raise CliError(f"you are not logged in to {server}")
    api = ctx.api()
    with api:
        try:
            username = api.get("whoami")["username"]
            if not username.startswith("serviceaccount:"):
                # A service account's token is revoked by a project admin, not by itself.
                api.delete(path("tokens", _token_id(ctx, api, token)))
        except ApiError as exc:
            if exc.status != 401:
                raise
            username = ""  # already revoked or expired: only forget it here
    if ctx.uses_config_server and ctx.config.token == token:
        ctx.config.token, ctx.config.token_id = "", None
        ctx.save_config()
    if username:
        ctx.out(f'Logged "{username}" out on "{server}"')
    else:
        ctx.out(f'Logged out on "{server}" (the token was no longer valid)')
    return 0


def _token_id(ctx: Context, api: ApiClient, token: str):
    config = ctx.config
    if ctx.uses_config_server and config.token == token and config.token_id is not None:
        return config.token_id
    # A token given with --token: find it by its public prefix.
    for candidate in api.list("tokens"):
        prefix = candidate.get("prefix") or ""
        if prefix and token.startswith(prefix.rstrip("…").rstrip(".")):
            return candidate["id"]
    raise CliError("the token in use is not among your tokens; it cannot be revoked from here")


# -- whoami, projects -------------------------------------------------------------------
def run_whoami(ctx: Context) -> int:
    if ctx.args.show_token:
        if not ctx.token:
            raise CliError(f"you are not logged in to {ctx.server}")
        ctx.out(ctx.token)
        return 0
    if ctx.args.show_server:
        ctx.out(ctx.server)
        return 0
    with ctx.api() as api:
        ctx.out(api.get("whoami")["username"])
    return 0


def run_project(ctx: Context) -> int:
    name = ctx.args.name
    if not name:
        project = ctx.project
        ctx.out(
            project if ctx.args.short else f'Using project "{project}" on server "{ctx.server}".'
        )
        return 0
    if not _can_save_project(ctx):
        raise CliError(
            f"the configuration file is for {ctx.config.server}, not {ctx.server}",
            hint=f"log in to {ctx.server} first, or pass -n {name} to each command",
        )
    with ctx.api() as api:
        api.get(path("projects", name))  # 404 for a project you cannot see
    _save_project(ctx, name)
    ctx.out(name if ctx.args.short else f'Now using project "{name}" on server "{ctx.server}".')
    return 0


def _can_save_project(ctx: Context) -> bool:
    # A project saved next to another server's token would be used there.
    return not ctx.config.server or ctx.uses_config_server


def _save_project(ctx: Context, name: str) -> None:
    ctx.config.server = ctx.config.server or ctx.server
    ctx.config.project = name
    ctx.save_config()


def run_projects(ctx: Context) -> int:
    with ctx.api() as api:
        projects = api.list("projects")
    if ctx.args.output:
        ctx.emit({"items": projects}, ctx.args.output)
        return 0
    current = ctx.config.project if ctx.uses_config_server else ""
    current = getattr(ctx.args, "project", None) or ctx.env.get("ISCTL_PROJECT") or current
    if not projects:
        ctx.out(NO_PROJECTS)
        return 0
    ctx.out(
        "You have access to the following projects and can switch between them with "
        "'isctl project <projectname>':\n"
    )
    for project in projects:
        marker = "* " if project["name"] == current else "  "
        title = f" - {project['display_name']}" if project.get("display_name") else ""
        ctx.out(f"  {marker}{project['name']}{title}")
    if current:
        ctx.out(f'\nUsing project "{current}" on server "{ctx.server}".')
    return 0


def run_new_project(ctx: Context) -> int:
    args = ctx.args
    body = {"name": args.name}
    if args.display_name:
        body["display_name"] = args.display_name
    if args.description:
        body["description"] = args.description
    with ctx.api() as api:
        api.post("projects", body)
    if _can_save_project(ctx):
        _save_project(ctx, args.name)
        ctx.out(f'Now using project "{args.name}" on server "{ctx.server}".')
    else:
        ctx.out(f'Project "{args.name}" created; use it with -n {args.name}.')
    ctx.out(
        "\nYou can add image streams to it with, for example:\n\n"
        "    isctl import-image python:3.12 --from=docker.io/library/python:3.12 --confirm"
    )
    return 0
