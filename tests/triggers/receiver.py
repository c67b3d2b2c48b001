"""A real local webhook receiver for tests: a threaded http.server that
records every request and answers from a script (default 200)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.registry_lab.net import PATIENCE


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0
    # Answer only once the receiver is stopped: the sender gives up (or is
    # killed) first, however slow the machine.
    hold: bool = False


class Receiver:
    """`receiver.url`, `receiver.answer(500, 500, 200)`, `receiver.requests`,
    `receiver.wait_for(2)`, `receiver.answer(Answer(200, hold=True))`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, *answers: int | Answer) -> None:
        """Queue answers for the next requests; afterwards 200 again."""
        with self._lock:
            for item in answers:
                self._script.append(item if isinstance(item, Answer) else Answer(status=item))

    def wait_for(self, count: int, timeout: float = PATIENCE) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} webhook request(s), got {len(self.requests)}"
                    )
                self._arrived.wait(remaining)
            return list(self.requests)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def _next_answer(self, received: Received) -> Answer:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()
            return self._script.popleft() if self._script else Answer()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    method="POST",
                    path=self.path,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=self.rfile.read(length),
                    at=time.monotonic(),
                )
                answer = receiver._next_answer(received)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.hold:
                    receiver._released.wait(PATIENCE)
                # A sender that gave up waiting has closed the connection.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)

            def log_message(self, *args) -> None:
                pass

        return Handler
