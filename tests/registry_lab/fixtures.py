"""pytest plugin: real Distribution registries for tests.

Enable with `pytest_plugins = ["tests.registry_lab.fixtures"]` in tests/conftest.py.

Registries are session-scoped (one set per xdist worker) and shared between
tests, so each test should push to its own repository: use `unique_repo`.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest

from .images import Pusher
from .registry import BINARY, Notifications, RegistryProcess, write_htpasswd
from .skopeo import Skopeo
from .tokens import TokenServer

BASIC_USERS = {"lab-user": "lab-pass"}
# The first user may push (and delete); the second may only pull.
TOKEN_USERS = {"lab-pusher": "push-pass", "lab-reader": "read-pass"}


def require_tool(path: str | Path | None, package: str) -> None:
    """Skip locally, but fail under CI: a CI run must never silently skip the registry tests."""
    if path and Path(path).exists():
        return
    where = f" ({path} missing)" if path else ""
    message = f"{package} is not installed{where}: apt-get install -y {package}"
    if _in_ci():
        pytest.fail(f"{message} (CI is set, refusing to skip)", pytrace=False)
    pytest.skip(message)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    """An open (no auth) registry: `.url`, `.host`, `.stop()`, `.restart()`."""
    require_tool(BINARY, "docker-registry")
    with RegistryProcess(tmp_path_factory.mktemp("registry-open")) as reg:
        yield reg


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    """htpasswd registry; `.username`/`.password` (also `.users`) are valid credentials."""
    require_tool(BINARY, "docker-registry")
    require_tool(shutil.which("htpasswd"), "apache2-utils")
    workdir = tmp_path_factory.mktemp("registry-basic")
    htpasswd = workdir / "htpasswd"
    write_htpasswd(htpasswd, BASIC_USERS)
    reg = RegistryProcess(workdir, htpasswd=htpasswd)
    reg.users = dict(BASIC_USERS)
    with reg:
        yield reg


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    """Token server for `token_registry`; anonymous clients get pull only."""
    server = TokenServer(
        tmp_path_factory.mktemp("token-server"),
        users=TOKEN_USERS,
        pushers=[next(iter(TOKEN_USERS))],
        anonymous_pull=True,
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer
) -> Iterator[RegistryProcess]:
    """Token-auth registry. `.username`/`.password` may push; `.users` also has a
    pull-only user; `.token_server` is the TokenServer."""
    require_tool(BINARY, "docker-registry")
    reg = RegistryProcess(
        tmp_path_factory.mktemp("registry-token"), token=token_server.auth_config()
    )
    reg.users = dict(TOKEN_USERS)
    reg.token_server = token_server
    with reg:
        yield reg


@pytest.fixture
def registry_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RegistryProcess]]:
    """Start a private open registry, e.g. with notifications to a live server:
    `registry_factory(notifications=Notifications(url, "Bearer x"))`. Stopped after the test."""
    require_tool(BINARY, "docker-registry")
    started: list[RegistryProcess] = []

    def make(*, notifications: Notifications | None = None) -> RegistryProcess:
        reg = RegistryProcess(tmp_path_factory.mktemp("registry"), notifications=notifications)
        started.append(reg)
        return reg.start()

    yield make
    for reg in started:
        reg.stop()


@pytest.fixture
def pusher() -> Iterator[Callable[..., Pusher]]:
    """Factory: `pusher(registry)` uses the registry's default (push) credentials,
    `pusher(registry, creds=None)` is anonymous, `creds=(user, password)` explicit."""
    made: list[Pusher] = []

    def make(
        reg: RegistryProcess, *, creds: tuple[str, str] | Literal["default"] | None = "default"
    ) -> Pusher:
        if creds == "default":
            creds = reg.credentials
        username, password = creds or (None, None)
        client = Pusher(reg.url, username=username, password=password)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


_repo_counter = itertools.count()


@pytest.fixture
def unique_repo(request: pytest.FixtureRequest) -> str:
    """A repository name no other test uses, e.g. 'lab/test-push-oci-3'."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60].strip("-")
    return f"lab/{slug or 'test'}-{next(_repo_counter)}"


@pytest.fixture(scope="session")
def skopeo() -> Skopeo:
    """`skopeo.inspect_raw("host/repo:tag", creds=(u, p))` -> manifest bytes."""
    tool = Skopeo()
    require_tool(tool.binary, "skopeo")
    return tool
