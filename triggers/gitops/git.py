"""Running the `git` command for one write-back, safely.

- Argument lists, never a shell; every user-given name comes after `--` or
  inside a refspec that was validated.
- The environment is built from nothing: no user or system configuration,
  no hooks, no credential helpers, no terminal prompts, only the http and
  https protocols, redirects not followed.
- The token travels in an `Authorization` header given through
  `GIT_CONFIG_*` environment variables: never in an argument list, a URL,
  a log line or an error (outputs are scrubbed of it all the same).
- Over SSH (triggers.gitops.ssh), only the ssh protocol is allowed; the
  deploy key and the known_hosts file are written (0600) into the
  write-back's private temporary directory, removed with it after the run,
  and outputs are scrubbed of the key and of that directory's path.
- The outbound guard: the Git host's name is resolved once and checked like
  a webhook's, and curl is pinned to that checked address
  (`http.curloptResolve`), or ssh connects to it (`HostName`), so DNS
  rebinding cannot reach inside.
- Failures are classified: a rejected push is retried by the caller; wrong
  credentials, a missing repository or branch, a protected branch are
  permanent; network trouble is worth another attempt later.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from imagestreams.registry.netguard import BlockedAddress, Guard
from triggers.gitops import ssh

AUTH = "authentication"
HOST_KEY = "host key"
NOT_FOUND = "not found"
REJECTED = "rejected"
REFUSED = "refused"
NETWORK = "network"
TIMEOUT = "timeout"
OTHER = "other"
# Kinds not worth retrying: waiting will not fix them.
PERMANENT = frozenset({AUTH, HOST_KEY, NOT_FOUND, REFUSED})
MAX_OUTPUT = 4000

_PATTERNS = (
    (HOST_KEY, ("host key verification failed", "remote host identification has changed",
                "host key for", "no matching host key type")),
    (AUTH, ("authentication failed", "could not read username", "could not read password",
            "returned error: 401", "returned error: 403", "invalid username or password",
            # ssh, and what GitHub and GitLab say to a deploy key without write access
            "permission denied (publickey", "too many authentication failures", "load key",
            "marked as read only", "denied to deploy key", "not allowed to push")),
    # Lost a race at the server (two pushes with the same old tip) or before it.
    (REJECTED, ("[rejected]", "fetch first", "non-fast-forward", "updates were rejected",
                "failed to update ref", "cannot lock ref", "failed to lock",
                "incorrect old value")),
    (REFUSED, ("[remote rejected]", "protected branch", "pre-receive hook declined")),
    (NOT_FOUND, ("couldn't find remote ref", "remote branch", "not found", "returned error: 404",
                 "does not appear to be a git repository")),
)  # fmt: skip


class GitError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def permanent(self) -> bool:
        return self.kind in PERMANENT


@dataclass
class Remote:
    """A repository and how to authenticate to it: over HTTP(S) with a
    token, or over SSH (an ssh URL) with a deploy key and the server's
    host key(s), known_hosts lines as triggers.gitops.ssh keeps them."""

    url: str
    username: str
    token: str
    allow_private: bool
    ssh_key: str = ""
    known_hosts: str = ""
    secrets: list[str] = field(default_factory=list)
    ssh_url: ssh.SshUrl | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.basic = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
        self.ssh_url = ssh.parse_ssh_url(self.url) if ssh.is_ssh_url(self.url) else None
        key_lines = [line for line in self.ssh_key.splitlines() if len(line.strip()) >= 16]
        candidates = (
            (self.ssh_key.strip(), *key_lines) if self.ssh_url else (self.token, self.basic)
        )
        self.secrets = [secret for secret in candidates if secret]

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class Git:
    """`git` in one working directory, against one remote, within a deadline."""

    def __init__(self, workdir: Path, remote: Remote, *, deadline: float) -> None:
        self.workdir = workdir
        self.remote = remote
        self.deadline = deadline
        self.scratch = workdir.parent
        self.home = self.scratch / "home"
        self.home.mkdir(exist_ok=True)
        self._pin = ""
        self._ssh_command = ""
        if remote.ssh_url:
            self._ssh_command = self._prepare_ssh(remote.ssh_url)
        else:
            self._pin = pinned_address(remote.url, allow_private=remote.allow_private)

    def _prepare_ssh(self, url: ssh.SshUrl) -> str:
        """Write the key and the known_hosts file (0600, in the private
        scratch directory); the ssh command that uses them."""
        address = checked_address(url.host, url.port, allow_private=self.remote.allow_private)
        folder = self.scratch / "ssh"
        folder.mkdir(mode=0o700)
        key_file, known_hosts = folder / "deploy_key", folder / "known_hosts"
        _write_private(key_file, self.remote.ssh_key.strip() + "\n")
        _write_private(known_hosts, ssh.known_hosts_file(self.remote.known_hosts, url))
        timeout = max(1, min(ssh.CONNECT_TIMEOUT, int(self.deadline - time.monotonic())))
        return ssh.ssh_command(
            key_file=key_file, known_hosts=known_hosts, url=url, address=address, timeout=timeout
        )

    def run(self, *args: str, input: str | None = None) -> str:
        """The command's standard output; GitError when it fails."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise GitError(TIMEOUT, "the write-back took too long and was stopped")
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.workdir,
                env=self._environment(),
                input=input,
                capture_output=True,
                text=True,
                timeout=remaining,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError(TIMEOUT, f"git {args[0]} timed out") from None
        except FileNotFoundError:
            raise GitError(OTHER, "the git command is not installed on the worker") from None
        if done.returncode != 0:
            # With --porcelain, push reports rejected refs on standard output.
            both = "\n".join(part.strip() for part in (done.stdout, done.stderr) if part.strip())
            output = self.remote.scrub(both).replace(str(self.scratch), "<tmp>")[-MAX_OUTPUT:]
            raise GitError(classify(output), f"git {args[0]} failed: {output}")
        return done.stdout

    def _environment(self) -> dict[str, str]:
        config = {
            "credential.helper": "",
            "core.hooksPath": os.devnull,
            "protocol.allow": "never",
            "init.defaultBranch": "main",
        }
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        if self._ssh_command:
            config["protocol.ssh.allow"] = "always"
            env |= {
                "GIT_ALLOW_PROTOCOL": "ssh",
                "GIT_SSH_COMMAND": self._ssh_command,
                "GIT_SSH_VARIANT": "ssh",
            }
        else:
            config |= {
                "http.extraHeader": f"Authorization: Basic {self.remote.basic}",
                "http.followRedirects": "false",
                "protocol.http.allow": "always",
                "protocol.https.allow": "always",
                "http.lowSpeedLimit": "1000",
                "http.lowSpeedTime": "30",
            }
            if self._pin:
                config["http.curloptResolve"] = self._pin
            env["GIT_ALLOW_PROTOCOL"] = "http:https"
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for number, (key, value) in enumerate(config.items()):
            env[f"GIT_CONFIG_KEY_{number}"] = key
            env[f"GIT_CONFIG_VALUE_{number}"] = value
        return env


def classify(output: str) -> str:
    lowered = output.lower()
    for kind, needles in _PATTERNS:
        if any(needle in lowered for needle in needles):
            return kind
    return NETWORK


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def pinned_address(url: str, *, allow_private: bool) -> str:
    """`host:port:address` for curl's resolve list: the one address the
    guard checked (empty when the operator allows every address)."""
    if allow_private:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = checked_address(host, port, allow_private=False)
    return f"{host}:{port}:{'[' + address + ']' if ':' in address else address}"


def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """The one address of `host` to connect to, checked by the outbound
    guard (empty when the operator allows every address)."""
    if allow_private:
        return ""
    try:
        addresses = Guard().checked_addresses(host, port)
    except BlockedAddress as exc:
        raise GitError(
            REFUSED,
            f"{exc}; Git hosts at internal addresses are refused "
            "(IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES allows them)",
        ) from None
    except Exception as exc:  # cannot resolve: perhaps later
        raise GitError(NETWORK, str(exc)) from None
    return addresses[0]
