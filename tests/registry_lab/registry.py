"""A throwaway Distribution 2.8 registry (`docker-registry serve`) on a free loopback port."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .net import LOOPBACK, PATIENCE, REQUEST_TIMEOUT, free_port, wait_until

BINARY = Path(os.environ.get("REGISTRY_LAB_BINARY", "/usr/bin/docker-registry"))


@dataclass(frozen=True)
class TokenAuth:
    """The `auth.token` block: where clients get tokens and how the registry checks them."""

    realm: str
    service: str
    issuer: str
    rootcertbundle: Path


@dataclass(frozen=True)
class Notifications:
    """One webhook endpoint; manifest push/delete events only (pulls and blobs are ignored)."""

    url: str
    authorization: str | None = None
    # The registry re-sends after a timeout: generous, so that a slow live
    # server does not get every notification twice.
    timeout: str = f"{REQUEST_TIMEOUT:.0f}s"
    threshold: int = 3
    backoff: str = "1s"


def write_htpasswd(path: Path, users: dict[str, str]) -> None:
    """Write bcrypt entries with `htpasswd -B` (apache2-utils): 2.8 only accepts bcrypt."""
    tool = shutil.which("htpasswd")
    if tool is None:
        raise RuntimeError("htpasswd not found: apt-get install -y apache2-utils")
    lines = []
    for user, password in users.items():
        out = subprocess.run(
            [tool, "-Bbn", user, password], check=True, capture_output=True, text=True
        ).stdout
        lines.append(out.strip())
    path.write_text("\n".join(lines) + "\n")


class RegistryError(RuntimeError):
    pass


class RegistryProcess:
    """Runs one registry with its own config and storage under `workdir`.

    Modes: open (default), basic (`htpasswd=` file) or token (`token=`).
    `notifications` may be reassigned before `restart()`; the config is
    rewritten on every start. Storage survives `restart()`.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        htpasswd: Path | None = None,
        token: TokenAuth | None = None,
        notifications: Notifications | None = None,
        binary: Path = BINARY,
        startup_timeout: float = PATIENCE,
    ) -> None:
        if htpasswd is not None and token is not None:
            raise ValueError("choose basic (htpasswd) or token auth, not both")
        self.workdir = Path(workdir)
        self.root = self.workdir / "data"
        self.config_path = self.workdir / "config.json"
        self.log_path = self.workdir / "registry.log"
        self.htpasswd = htpasswd
        self.token = token
        self.notifications = notifications
        self.binary = Path(binary)
        self.startup_timeout = startup_timeout
        # Fixed per instance so upload sessions (`_state` is HMAC-signed) survive a restart.
        self.secret = secrets.token_hex(16)
        # Filled in by whoever sets up auth (see fixtures.py); handy for tests.
        self.users: dict[str, str] = {}
        self.token_server: Any = None
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- addresses -------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return "token" if self.token else "basic" if self.htpasswd else "open"

    @property
    def host(self) -> str:
        if self.port is None:
            raise RegistryError("registry not started")
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def username(self) -> str | None:
        """The first configured user (the one allowed to push)."""
        return next(iter(self.users), None)

    @property
    def password(self) -> str | None:
        return self.users.get(self.username) if self.username else None

    @property
    def credentials(self) -> tuple[str, str] | None:
        """(username, password) of the first user, for clients; None for an open registry."""
        if self.username is None:
            return None
        return self.username, self.users[self.username]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- config ----------------------------------------------------------------------------
    def config(self, port: int) -> dict[str, Any]:
        """The registry config. Written as JSON, which the registry's YAML parser accepts."""
        cfg: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.root)},
                "delete": {"enabled": True},
            },
            "http": {
                "addr": f"{LOOPBACK}:{port}",
                "secret": self.secret,
                "headers": {"X-Content-Type-Options": ["nosniff"]},
            },
            # The storage health check would turn /v2/ into 503 on a slow disk; not useful here.
            "health": {"storagedriver": {"enabled": False}},
        }
        if self.htpasswd is not None:
            cfg["auth"] = {"htpasswd": {"realm": "registry-lab", "path": str(self.htpasswd)}}
        if self.token is not None:
            cfg["auth"] = {
                "token": {
                    "realm": self.token.realm,
                    "service": self.token.service,
                    "issuer": self.token.issuer,
                    "rootcertbundle": str(self.token.rootcertbundle),
                }
            }
        if self.notifications is not None:
            cfg["notifications"] = _notifications_config(self.notifications)
        return cfg

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> RegistryProcess:
        if self.running:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        # A fresh port may be grabbed by someone else between our probe and the
        # registry's bind; on a restart we keep the port, so there is no retry.
        attempts = 1 if self.port is not None else 3
        for _ in range(attempts):
            port = self.port or free_port()
            if self._spawn(port):
                self.port = port
                return self
        raise RegistryError(f"could not bind a free port; log: {self.log_path}")

    def _spawn(self, port: int) -> bool:
        """Start on `port`; False if the port was taken, raise on any other failure."""
        self.config_path.write_text(json.dumps(self.config(port), indent=2))
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(self.binary), "serve", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://{LOOPBACK}:{port}/v2/"
        proc = self._proc
        settled = wait_until(
            lambda: proc.poll() is not None or _answers(url), timeout=self.startup_timeout
        )
        if settled and proc.poll() is None:
            return True
        new_log = self._log_since(log_offset)
        self.stop()
        if "address already in use" in new_log:
            return False
        raise RegistryError(f"registry did not come up on {url}:\n{new_log[-2000:]}")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            # A registry that just served requests can take > 0.5 s to exit.
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self) -> RegistryProcess:
        """Stop and start again on the same port with the same storage.

        Notification events still queued in memory are lost (Distribution 2.8 behaviour).
        """
        self.stop()
        return self.start()

    def log_text(self) -> str:
        return self._log_since(0)

    def _log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace")

    def __enter__(self) -> RegistryProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.port else "not started"
        return f"<RegistryProcess {self.mode} {where}>"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=REQUEST_TIMEOUT).status_code in (200, 401)
    except httpx.TransportError:
        return False


def _notifications_config(n: Notifications) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "name": "registry-lab",
        "url": n.url,
        "timeout": n.timeout,
        "threshold": n.threshold,
        "backoff": n.backoff,
        # Blob events (octet-stream) and pulls (also sent for HEADs) are noise for an importer.
        "ignore": {"mediatypes": ["application/octet-stream"], "actions": ["pull"]},
    }
    if n.authorization:
        # Header values must be lists. The registry logs them at startup: use test secrets only.
        endpoint["headers"] = {"Authorization": [n.authorization]}
    return {"events": {"includereferences": True}, "endpoints": [endpoint]}
