"""The two ways a Git write-back reaches its repository, for the scenarios
that must hold over both: HTTPS with a token (git http-backend,
tests/triggers/gitserver.py) and SSH with a deploy key (sshd,
tests/triggers/sshserver.py). Both serve the same bare repositories, so a
test reads what was pushed through `git_server` whichever way it came.

A test runs over both with `@over_https_and_ssh`; the `remote` fixture
(tests/triggers/conftest.py) is HTTPS otherwise."""

from __future__ import annotations

import pytest

from tests.triggers.gitserver import GitServer
from tests.triggers.sshserver import SshServer, keygen

over_https_and_ssh = pytest.mark.parametrize("remote", ["https", "ssh"], indirect=True)


def assert_key_not_in(text: str, key: str) -> None:
    """No line of the private key's body, nor the temporary file it was written to."""
    for line in key.splitlines():
        if not line.startswith("-----"):
            assert line not in text
    assert "imagestreams-git-" not in text


class HttpsRemote:
    """The repository "deploy" over HTTP(S), Basic auth with the server's token."""

    transport = "https"
    refusal = "authentication failed: the Git host refused the token"
    # What git itself says, quoted after the reason: the token refused, it has no other.
    refusal_by_git = "could not read Username"
    unreachable = "Couldn't connect to server"  # curl's words for a refused connection

    def __init__(self, git_server: GitServer) -> None:
        self.git_server = git_server
        self.secret = git_server.token  # the trigger's, whatever the server takes later

    def destination(self, **options: object) -> dict:
        """The trigger fields that point it at the repository: URL, credential, options."""
        options = {"username": self.git_server.username, **options}
        return {"url": self.git_server.url(), "token": self.secret, "options": options}

    def assert_never_shown(self, text: str) -> None:
        assert self.secret not in text

    def carried_the_push(self) -> bool:
        return any(
            (seen.method, seen.path, seen.status) == ("POST", "/deploy.git/git-receive-pack", 200)
            for seen in self.git_server.seen
        )

    def connections(self) -> int:
        return len(self.git_server.seen)

    def logins(self) -> int:
        """Requests the server let in."""
        return sum(seen.status != 401 for seen in self.git_server.seen)

    def refuse_credentials(self) -> None:
        """The trigger's token is no longer accepted."""
        self.git_server.token = "the-real-token"

    def commit_before_push(self, files: dict[str, str]) -> None:
        """A colleague's commit of `files` lands just before the next push."""
        self.git_server.before_push = lambda: self.git_server.commit(files)

    def stop(self) -> None:
        self.git_server.stop()


class SshRemote:
    """The same repository over SSH, logging in with the server's deploy key."""

    transport = "ssh"
    refusal = (
        "authentication failed: the Git host refused the deploy key (not added to the "
        "repository, or without write access to main)"
    )
    refusal_by_git = "Permission denied (publickey)"
    unreachable = "Connection refused"

    def __init__(self, git_server: GitServer, ssh_server: SshServer) -> None:
        self.git_server = git_server
        self.ssh_server = ssh_server
        self.secret = ssh_server.client_key
        # Not counted: the connection that saw sshd was up (SshServer.start).
        self._connections_before = ssh_server.log().count("Connection from")

    def destination(self, **options: object) -> dict:
        """The trigger fields that point it at the repository: URL, deploy key, options."""
        options = {"known_hosts": self.ssh_server.known_hosts, **options}
        return {"url": self.ssh_server.url(), "ssh_key": self.secret, "options": options}

    def assert_never_shown(self, text: str) -> None:
        assert_key_not_in(text, self.secret)

    def carried_the_push(self) -> bool:
        return self.git_server.seen == [] and "Accepted publickey for" in self.ssh_server.log()

    def connections(self) -> int:
        return self.ssh_server.log().count("Connection from") - self._connections_before

    def logins(self) -> int:
        return self.ssh_server.log().count("Accepted publickey for")

    def refuse_credentials(self) -> None:
        """The deploy key was removed: only someone else's key may log in."""
        other = self.ssh_server.home / "someone-else"
        keygen(other)
        self.ssh_server.authorize(other.with_suffix(".pub").read_text())

    def commit_before_push(self, files: dict[str, str]) -> None:
        """A colleague's commit of `files` lands just before the next push: made now,
        then hidden until the server's hook puts it back as the push arrives."""
        initial = self.git_server.git("rev-parse", "main").strip()
        self.git_server.commit(files)
        colleague = self.git_server.git("rev-parse", "main").strip()
        self.git_server.git("update-ref", "refs/heads/main", initial)
        bare = self.git_server.root / "deploy.git"
        self.ssh_server.before_push(f"git --git-dir={bare} update-ref refs/heads/main {colleague}")

    def stop(self) -> None:
        self.ssh_server.stop()
