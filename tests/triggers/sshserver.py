"""A real SSH Git server for the write-back tests: OpenSSH's `sshd`, started
by the tests on a free loopback port with its own configuration (a host key
made for the test, an `authorized_keys` in the test's directory, no PAM, no
system configuration), serving the same bare repositories as the HTTP
server (`GitServer`), so the tests read what was pushed with plain git.

Like GitServer.before_push, `before_push(script)` runs a shell script once,
on the server, just before the next push is received (a colleague's commit
landing at that moment): every login goes through a small forced command
that runs it, then the command git asked for.

It logs in the user the tests run as (root in CI: `PermitRootLogin
prohibit-password`, keys only). As root, sshd wants its privilege
separation directory, /run/sshd: it is created when missing.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry_lab.net import LOOPBACK, PATIENCE, free_port
from tests.triggers.gitserver import GitServer

SSHD = "/usr/sbin/sshd"


def keygen(path: Path, kind: str = "ed25519", *, passphrase: str = "") -> str:
    """Make a key pair at `path` (and `path`.pub); the private key's text."""
    bits = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, *bits, "-N", passphrase, "-C", "test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.read_text()


class SshServer:
    """sshd serving the repositories of `git_server` (a GitServer's root)."""

    def __init__(self, git_server: GitServer, home: Path) -> None:
        self.git_server = git_server
        self.home = home
        self.user = getpass.getuser()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.host_key_path = home / "ssh_host_ed25519_key"
        self.authorized_keys = home / "authorized_keys"
        self.log_path = home / "sshd.log"
        self.hook = home / "before-push.sh"
        self.forced_command = home / "git-shell.sh"
        self.forced_command.write_text(
            "#!/bin/sh\n"
            'case "$SSH_ORIGINAL_COMMAND" in\n'
            f"  git-receive-pack*) if [ -f {self.hook} ]; then\n"
            f"    mv {self.hook} {self.hook}.ran && sh {self.hook}.ran; fi ;;\n"
            "esac\n"
            'exec sh -c "$SSH_ORIGINAL_COMMAND"\n'
        )
        self.forced_command.chmod(0o755)
        keygen(self.host_key_path)
        self.client_key = keygen(home / "deploy_key")
        self.authorize((home / "deploy_key.pub").read_text())

    @property
    def host_key(self) -> str:
        """The server's public host key (`ssh-ed25519 AAAA… test`)."""
        return self.host_key_path.with_suffix(".pub").read_text().strip()

    @property
    def known_hosts(self) -> str:
        """A known_hosts line for this server, as `ssh-keyscan` would print it."""
        return f"[{LOOPBACK}]:{self.port} {' '.join(self.host_key.split()[:2])}"

    def url(self, repo: str = "deploy") -> str:
        return f"ssh://{self.user}@{LOOPBACK}:{self.port}{self.git_server.root}/{repo}.git"

    def authorize(self, public_key: str) -> None:
        """Only this key may log in (`restrict`: no terminal, no forwarding)."""
        options = f'restrict,command="{self.forced_command}"'
        self.authorized_keys.write_text(f"{options} {public_key.strip()}\n")

    def before_push(self, script: str) -> None:
        """Run `script` (sh) on the server once, just before the next push."""
        self.hook.write_text(script + "\n")

    def start(self) -> SshServer:
        if not Path(SSHD).exists():
            pytest.fail(f"{SSHD} is missing: install openssh-server (.ci/install does)")
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        for _ in range(5):  # another process may take the free port first
            self.port = free_port()
            if self._launch():
                return self
        pytest.fail(f"sshd found no free port: {self.log()}")

    def _launch(self) -> bool:
        config = self.home / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {LOOPBACK}",
                    f"Port {self.port}",
                    f"HostKey {self.host_key_path}",
                    f"AuthorizedKeysFile {self.authorized_keys}",
                    f"PidFile {self.home / 'sshd.pid'}",
                    f"AllowUsers {self.user}",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "AcceptEnv GIT_PROTOCOL",
                    "PrintMotd no",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        with self.log_path.open("wb") as log:
            # -D: stay in the foreground, -e: log to standard error (the log file).
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=log
            )
        return self._wait_for_banner()

    def _wait_for_banner(self) -> bool:
        """True once sshd answers; False when its port was taken meanwhile."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            assert self.process
            if self.process.poll() is not None:
                if "Address already in use" in self.log():
                    return False
                pytest.fail(f"sshd exited: {self.log()}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=5) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return True
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"sshd did not answer on port {self.port}: {self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def ssh_server(git_server: GitServer, tmp_path: Path) -> Iterator[SshServer]:
    """sshd on a free loopback port serving `git_server`'s repositories,
    accepting the deploy key `ssh_server.client_key`."""
    if not shutil.which("ssh"):
        pytest.fail("the ssh client is missing: install openssh-client")
    home = tmp_path / "sshd"
    home.mkdir()
    server = SshServer(git_server, home).start()
    yield server
    server.stop()
