"""Everything a command needs: its arguments, where to write, the
configuration and an API client. Settings come from flags, then environment
variables (ISCTL_SERVER, ISCTL_TOKEN, ISCTL_PROJECT), then the config file."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from imagestreams.cli.api import ApiClient
from imagestreams.cli.config import Config, config_path
from imagestreams.cli.errors import CliError
from imagestreams.cli.output import as_list, render

MACHINE_FORMATS = ("json", "yaml")

DEFAULT_TIMEOUT = 30.0


@dataclass
class Context:
    args: argparse.Namespace
    env: Mapping[str, str]
    stdout: TextIO
    stderr: TextIO
    stdin: TextIO
    transport: httpx.BaseTransport | None = None
    _config: Config | None = field(default=None, init=False)

    # -- configuration ----------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return config_path(self.env)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = Config.load(self.config_path)
        return self._config

    def save_config(self) -> None:
        self.config.save(self.config_path)

    def _setting(self, flag: str, variable: str) -> str:
        return getattr(self.args, flag, None) or self.env.get(variable) or ""

    @property
    def server(self) -> str:
        server = self._setting("server", "ISCTL_SERVER") or self.config.server
        if not server:
            raise CliError(
                "no server configured",
                hint='log in with "isctl login --server URL", or set --server / ISCTL_SERVER',
            )
        return normalise_server(server)

    @property
    def uses_config_server(self) -> bool:
        return bool(self.config.server) and normalise_server(self.config.server) == self.server

    @property
    def token(self) -> str:
        # The saved token belongs to the saved server: never send it elsewhere.
        saved = self.config.token if self.uses_config_server else ""
        return self._setting("token", "ISCTL_TOKEN") or saved

    @property
    def project(self) -> str:
        saved = self.config.project if self.uses_config_server else ""
        project = self._setting("project", "ISCTL_PROJECT") or saved
        if not project:
            self.require_login()
            raise CliError(
                "no project selected",
                hint='choose one with "isctl project NAME" (list them with "isctl projects") '
                "or pass -n NAME",
            )
        return project

    @property
    def verify_tls(self) -> bool:
        if getattr(self.args, "insecure_skip_tls_verify", False):
            return False
        return not (self.uses_config_server and self.config.insecure_skip_tls_verify)

    # -- talking to the server --------------------------------------------------------
    def require_login(self) -> None:
        """Before the first login, say how to log in rather than what is missing."""
        if not (self._setting("server", "ISCTL_SERVER") or self.config.server):
            raise CliError(
                "you are not logged in",
                hint='run "isctl login --server URL --username NAME" '
                "(or set ISCTL_SERVER, ISCTL_TOKEN and ISCTL_PROJECT)",
            )
        if not self.token:
            raise CliError(
                f"you are not logged in to {self.server}",
                hint='run "isctl login" (or pass --token / set ISCTL_TOKEN)',
            )

    def api(self, *, token: str | None = None, basic: tuple[str, str] | None = None) -> ApiClient:
        if token is None and basic is None:
            self.require_login()
            token = self.token
        return ApiClient(
            self.server,
            token=token or "",
            basic=basic,
            timeout=self.timeout(DEFAULT_TIMEOUT),
            verify=self.verify_tls,
            transport=self.transport,
        )

    def timeout(self, default: float) -> float:
        given = getattr(self.args, "request_timeout", None)
        return given if given is not None else default

    # -- output -----------------------------------------------------------------------
    def out(self, text: str = "") -> None:
        self.stdout.write(text if text.endswith("\n") else text + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(text if text.endswith("\n") else text + "\n")

    def emit(self, data: Any, fmt: str) -> None:
        self.stdout.write(render(data, fmt))

    def result(self, data: Any, line: str) -> int:
        """The API's answer with -o json|yaml, else one line saying what was done."""
        output = getattr(self.args, "output", None)
        if output in MACHINE_FORMATS:
            self.emit(data, output)
        else:
            self.out(line)
        return 0

    def listing(self, items: list[Any], empty: str, table: Callable[[], str]) -> int:
        """A list as {"items": [...]} with -o json|yaml, else a table, or `empty`
        on stderr when there is nothing."""
        output = getattr(self.args, "output", None)
        if output in MACHINE_FORMATS:
            self.emit(as_list(items), output)
        elif not items:
            self.err(empty)
        else:
            self.stdout.write(table())
        return 0

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def normalise_server(server: str) -> str:
    """`images.example.com` means `https://images.example.com`; no trailing slash."""
    server = server.strip().rstrip("/")
    if "://" not in server:
        server = f"https://{server}"
    return server
