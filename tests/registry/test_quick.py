"""The event-loop HEADs of scheduled checks (registry/quick.py).

They only ever settle one answer, "200 with this digest"; everything else must
come back as None (the ordinary check takes over) and never leave a
connection that could mix up two answers. A scripted server on loopback says
exactly what the client sent and on which connection.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from imagestreams.registry.netguard import BlockedAddress, Guard
from imagestreams.registry.quick import PreparedHead, QuickHeads, guarded_addresses
from imagestreams.registry_auth.keys import generate_keypair

DIGEST = "sha256:" + "a" * 64
OK = f"HTTP/1.1 200 OK\r\nDocker-Content-Digest: {DIGEST}\r\nContent-Length: 529\r\n\r\n"
LOCAL = Guard(allow_private=True)


@asynccontextmanager
async def unpaced(host: str):
    yield


@dataclass
class Scripted:
    """Answers the n-th request with ``answers[n]`` (the last one repeated);
    ``None`` says "close the connection instead of answering"."""

    answers: list[str | None]
    tls: ssl.SSLContext | None = None
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def head(self, path: str = "/v2/a/manifests/1", **headers: str) -> PreparedHead:
        return PreparedHead(f"127.0.0.1:{self.port}", self.origin + path, headers, False)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        if self.tls is not None:
            try:
                connection = self.tls.wrap_socket(connection, server_side=True)
            except (ssl.SSLError, OSError):
                connection.close()
                return
        buffer = b""
        with connection:
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = connection.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    buffer += data
                request, buffer = buffer.split(b"\r\n\r\n", 1)
                with self._lock:
                    self.requests.append(request)
                    answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                if answer is None:
                    return
                connection.sendall(answer.encode())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()


@pytest.fixture
def scripted():
    servers: list[Scripted] = []

    def make(*answers: str | None, tls: ssl.SSLContext | None = None) -> Scripted:
        server = Scripted(list(answers), tls)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def heads():
    made: list[QuickHeads] = []

    def make(guard: Guard = LOCAL, **options) -> Callable[..., list]:
        client = QuickHeads(guard, timeout=options.pop("timeout", 5.0), user_agent="test")
        made.append(client)
        return lambda *prepared: [digest for digest, _ in client.digests(prepared, unpaced)]

    yield make
    for client in made:
        client.close()


def test_the_guard_refuses_internal_addresses():
    with pytest.raises(BlockedAddress):
        guarded_addresses(Guard(), "127.0.0.1", 5000)


def test_the_operator_may_allow_private_addresses():
    assert guarded_addresses(LOCAL, "127.0.0.1", 5000) == ["127.0.0.1"]


def test_a_head_to_a_blocked_host_is_left_to_the_ordinary_check(scripted, heads):
    server = scripted(OK)

    assert heads(Guard())(server.head(), None) == [None, None]
    assert server.connections == 0


def test_the_digest_of_a_200_is_reported_and_the_connection_kept(scripted, heads):
    server = scripted(OK)
    send = heads()

    assert send(server.head()) == [DIGEST]
    assert send(server.head(), server.head("/v2/b/manifests/2")) == [DIGEST, DIGEST]
    assert send(server.head()) == [DIGEST]
    assert len(server.requests) == 4
    assert server.connections <= 2  # two at once at most, then reused


def test_the_request_carries_the_prepared_headers(scripted, heads):
    server = scripted(OK)

    heads()(server.head(Accept="application/vnd.oci.image.index.v1+json", Authorization="Bearer t"))

    [request] = server.requests
    lines = request.decode().split("\r\n")
    assert lines[0] == "HEAD /v2/a/manifests/1 HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}" in lines
    assert "Authorization: Bearer t" in lines
    assert "Accept: application/vnd.oci.image.index.v1+json" in lines


@pytest.mark.parametrize(
    "answer",
    [
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Bearer realm=x\r\n\r\n",
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: /elsewhere\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nDocker-Content-Digest: latest\r\n\r\n",
        f"HTTP/1.1 200 OK\r\nDocker-Content-Digest: {DIGEST}\r\n"
        f"Docker-Content-Digest: sha256:{'b' * 64}\r\n\r\n",
        f"HTTP/1.1 200 OK\r\n Docker-Content-Digest: {DIGEST}\r\n\r\n",
        f"HTTP/1.1 200 OK\r\nDocker-Content-Digest :{DIGEST}\r\n\r\n",
        f"HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:\r\n {'a' * 64}\r\n\r\n",
        f"HTTP/2 200 OK\r\nDocker-Content-Digest: {DIGEST}\r\n\r\n",
        f"HTTP/1.1 2000 OK\r\nDocker-Content-Digest: {DIGEST}\r\n\r\n",
        f"garbage\r\nDocker-Content-Digest: {DIGEST}\r\n\r\n",
    ],
)
def test_any_other_answer_is_left_to_the_ordinary_check(scripted, heads, answer):
    server = scripted(answer)

    assert heads()(server.head()) == [None]


def test_a_body_after_a_head_answer_is_not_trusted_nor_the_connection_reused(scripted, heads):
    server = scripted(OK + "unexpected body", OK)
    send = heads()

    assert send(server.head()) == [None]
    assert send(server.head()) == [DIGEST]
    assert server.connections == 2


@pytest.mark.parametrize(
    "answer",
    [
        f"HTTP/1.1 200 OK\r\nConnection: close\r\nDocker-Content-Digest: {DIGEST}\r\n\r\n",
        f"HTTP/1.1 200 OK\r\nDocker-Content-Digest: {DIGEST}\r\nConnection: Close\r\n\r\n",
        f"HTTP/1.0 200 OK\r\nDocker-Content-Digest: {DIGEST}\r\n\r\n",
    ],
)
def test_a_connection_the_server_closes_is_not_reused(scripted, heads, answer):
    server = scripted(answer, OK)
    send = heads()

    assert send(server.head()) == [DIGEST]
    assert send(server.head()) == [DIGEST]
    assert server.connections == 2


def test_a_connection_the_server_dropped_while_idle_is_replaced(scripted, heads):
    server = scripted(OK, None, OK)  # the second request finds the connection closed
    send = heads()

    assert send(server.head()) == [DIGEST]
    assert send(server.head()) == [DIGEST]
    assert server.connections == 2
    assert len(server.requests) == 3


def test_a_value_with_a_line_break_is_never_sent(scripted, heads):
    server = scripted(OK)

    assert heads()(server.head(Authorization="Bearer t\r\nX-Injected: 1")) == [None]
    assert server.requests == []


def test_a_registry_that_never_answers_is_left_to_the_ordinary_check(scripted, heads):
    server = scripted("HTTP/1.1 200 OK\r\n")  # the head never ends

    assert heads(timeout=0.5)(server.head()) == [None]


def test_an_endless_response_head_is_cut_off(scripted, heads):
    server = scripted("HTTP/1.1 200 OK\r\n" + "X-Filler: " + "x" * 100_000 + "\r\n\r\n")

    assert heads()(server.head()) == [None]


def test_https_verifies_the_certificate_unless_told_not_to(scripted, heads, tmp_path):
    server = scripted(OK, tls=_server_tls(tmp_path))
    send = heads()
    insecure = server.head()
    verified = PreparedHead(insecure.host, insecure.url, {}, True)

    assert send(verified) == [None]  # self-signed: the ordinary check explains
    assert send(insecure) == [DIGEST]


def _server_tls(directory: Path) -> ssl.SSLContext:
    key_path, cert_path = generate_keypair(directory, common_name="127.0.0.1", days=1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
