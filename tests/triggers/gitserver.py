"""A real Git server for the write-back tests: `git http-backend` (the CGI
program GitHub-like hosts wrap) behind a small threaded HTTP server on a
free loopback port, with Basic auth as hosts check tokens.

The tests seed bare repositories, read what was pushed with plain `git`, and
can make the server commit something of its own just before a client's push
(`before_push`), as a colleague's commit landing at that moment would, or run
something while a client fetches (`before_fetch`).
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

GIT_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Colleague",
    "GIT_AUTHOR_EMAIL": "colleague@example.com",
    "GIT_COMMITTER_NAME": "Colleague",
    "GIT_COMMITTER_EMAIL": "colleague@example.com",
    "LC_ALL": "C",
}


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Seen:
    method: str
    path: str
    status: int


class GitServer:
    def __init__(self, root: Path, *, username: str = "bot", token: str = "push-token") -> None:
        self.root = root
        self.username = username
        self.token = token
        self.seen: list[Seen] = []
        self.before_push: Callable[[], None] | None = None
        self.before_fetch: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- serving ------------------------------------------------------------

    def start(self) -> GitServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def url(self, repo: str = "deploy") -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}/{repo}.git"

    def authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
        return header == f"Basic {expected}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    # --- repositories -------------------------------------------------------

    def create(
        self, files: dict[str, str | bytes], *, repo: str = "deploy", branch: str = "main"
    ) -> Path:
        bare = self.root / f"{repo}.git"
        git("init", "-q", "--bare", "-b", branch, str(bare))
        git("config", "http.receivepack", "true", cwd=bare)
        self.commit(files, repo=repo, branch=branch, message="Initial manifests")
        return bare

    def commit(
        self, files: dict[str, str | bytes], *, repo: str = "deploy", branch: str = "main",
        message: str = "A colleague's change", symlinks: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Commit `files` to `branch` directly in the bare repository (no HTTP)."""
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            git("init", "-q", "-b", branch, cwd=work)
            bare = self.root / f"{repo}.git"
            if git("ls-remote", str(bare), f"refs/heads/{branch}").strip():
                git("fetch", "-q", str(bare), branch, cwd=work)
                git("reset", "-q", "--hard", "FETCH_HEAD", cwd=work)
            for name, content in files.items():
                path = work / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content if isinstance(content, bytes) else content.encode())
            for name, target in (symlinks or {}).items():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).symlink_to(target)
            git("add", "-A", cwd=work)
            git("commit", "-q", "-m", message, cwd=work)
            git("push", "-q", str(bare), f"HEAD:refs/heads/{branch}", cwd=work)

    def read(self, name: str, *, repo: str = "deploy", ref: str = "main") -> bytes:
        done = subprocess.run(
            ["git", "show", f"{ref}:{name}"],
            cwd=self.root / f"{repo}.git",
            env=GIT_ENV,
            capture_output=True,
            check=True,
        )
        return done.stdout

    def log(self, *, repo: str = "deploy", ref: str = "main") -> list[str]:
        """Commit subjects, newest first."""
        return git("log", "--format=%s", ref, cwd=self.root / f"{repo}.git").splitlines()

    def git(self, *args: str, repo: str = "deploy") -> str:
        return git(*args, cwd=self.root / f"{repo}.git")

    def changed_lines(self, ref: str, *, repo: str = "deploy") -> list[str]:
        """The `-`/`+` lines of commit `ref`'s diff."""
        diff = self.git("show", "--format=", "--no-color", ref, repo=repo)
        return [
            line
            for line in diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    """A real Git server (git http-backend, Basic auth) on a free loopback port."""
    root = tmp_path / "git-server"
    root.mkdir()
    server = GitServer(root).start()
    yield server
    server.stop()


def _handler(server: GitServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            body = self._body()
            if not server.authorized(self.headers.get("Authorization", "")):
                server.record(Seen(self.command, path, 401))
                self._answer(401, {"WWW-Authenticate": 'Basic realm="git"'}, b"")
                return
            if query == "service=git-receive-pack" and server.before_push:
                hook, server.before_push = server.before_push, None
                hook()
            if query == "service=git-upload-pack" and server.before_fetch:
                hook, server.before_fetch = server.before_fetch, None
                hook()
            status, headers, content = self._backend(path, query, body)
            server.record(Seen(self.command, path, status))
            self._answer(status, headers, content)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _backend(self, path: str, query: str, body: bytes) -> tuple[int, dict, bytes]:
            env = {
                **GIT_ENV,
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": server.username,
                "REMOTE_ADDR": self.client_address[0],
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, content = done.stdout.partition(b"\r\n\r\n")
            status, headers = 200, {}
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers[name] = value.strip()
            return status, headers, content

        def _answer(self, status: int, headers: dict, content: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    return Handler
