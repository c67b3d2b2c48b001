"""A fault-injecting registry on loopback: a small HTTP proxy in front of a
real Distribution registry that passes requests through, or answers the way
broken registries do (5xx, 429, stalls, wrong digests, malformed, oversized
or unknown manifests, redirect loops), or stops listening altogether.

`proxy.set("5xx")` switches the behaviour for the next requests;
`proxy.set(None)` heals it. `proxy.requests` lists "METHOD /path".

For races, `proxy.hold_heads()` keeps the answers to manifest HEADs (read
from the registry at once) until `proxy.release()`, and `proxy.meet(n)`
lets manifest HEADs through only when n of them have arrived together.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.registry_lab.net import LOOPBACK, PATIENCE, REQUEST_TIMEOUT

MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# Bigger than the client's 4 MiB manifest limit (registry.manifests.MAX_MANIFEST_SIZE).
OVERSIZED = 4 * 1024 * 1024 + 1
# A stall or a held answer ends when the test heals or releases the proxy, at
# the latest after this long.
STALL_LIMIT = PATIENCE
# Headers passed back from the registry as they are.
KEPT_HEADERS = ("content-type", "docker-content-digest", "www-authenticate", "location", "link")

FAULTS = (
    "5xx",
    "429",
    "stall",
    "wrong-digest",
    "malformed",
    "oversized",
    "redirect-loop",
    "media-type",
)


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def crafted_manifest(fault: str) -> tuple[bytes, str]:
    """(body, content type) of the manifest a broken registry serves."""
    if fault == "malformed":
        return b'{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST.encode(), OCI_MANIFEST
    if fault == "oversized":
        padding = "x" * OVERSIZED
        return json.dumps({"schemaVersion": 2, "annotations": {"pad": padding}}).encode(), (
            OCI_MANIFEST
        )
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.example.thing+json"})
    return body.encode(), "application/vnd.example.thing+json"


class FaultProxy:
    def __init__(self, upstream: str, *, retry_after: int = 7200) -> None:
        self.upstream = upstream.rstrip("/")
        self.retry_after = retry_after
        self.fault: str | None = None
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._healed = threading.Event()
        self._http = httpx.Client(timeout=REQUEST_TIMEOUT)
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self._held: threading.Event | None = None
        self._meeting: threading.Barrier | None = None
        self.heads_held = threading.Semaphore(0)

    @property
    def host(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def set(self, fault: str | None) -> None:
        self.fault = fault
        if fault is None:
            self._healed.set()
        else:
            self._healed.clear()

    def start(self) -> FaultProxy:
        self._server = ThreadingHTTPServer((LOOPBACK, self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until start() again (same port)."""
        self._healed.set()
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.stop()
        self._http.close()

    def hold_heads(self) -> None:
        self._held = threading.Event()

    def release(self) -> None:
        if self._held is not None:
            self._held.set()
        self._held = None

    def meet(self, count: int) -> None:
        self._meeting = threading.Barrier(count, timeout=STALL_LIMIT)

    def before_head(self) -> None:
        if self._meeting is not None:
            self._meeting.wait()

    def after_head(self) -> None:
        held = self._held
        if held is not None:
            self.heads_held.release()
            held.wait(STALL_LIMIT)

    def record(self, line: str) -> None:
        with self._lock:
            self.requests.append(line)

    def stall(self) -> None:
        self._healed.wait(STALL_LIMIT)

    def forward(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        wanted = {k: v for k, v in headers.items() if k.lower() in ("accept", "authorization")}
        return self._http.request(method, self.upstream + path, headers=wanted)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_HEAD(self) -> None:
            self._answer()

        def _answer(self) -> None:
            proxy.record(f"{self.command} {self.path}")
            fault = proxy.fault
            is_manifest = bool(MANIFEST_PATH.match(self.path))
            if fault == "stall":
                proxy.stall()  # the client has timed out by then
                self.close_connection = True
                return
            if fault == "5xx":
                return self._send(503, b'{"errors":[{"code":"UNAVAILABLE"}]}', {})
            if fault == "429":
                return self._send(429, b"", {"Retry-After": str(proxy.retry_after)})
            if fault == "redirect-loop":
                return self._send(302, b"", {"Location": self.path})
            if fault in ("malformed", "oversized", "media-type") and is_manifest:
                body, media_type = crafted_manifest(fault)
                headers = {"Content-Type": media_type, "Docker-Content-Digest": _digest(body)}
                return self._send(200, body, headers)
            head = is_manifest and self.command == "HEAD"
            if head:
                proxy.before_head()
            upstream = proxy.forward(self.command, self.path, dict(self.headers))
            if head:
                proxy.after_head()
            headers = {k: v for k, v in upstream.headers.items() if k.lower() in KEPT_HEADERS}
            if fault == "wrong-digest" and is_manifest and self.command == "GET":
                headers["docker-content-digest"] = _digest(b"not this manifest")
            length = upstream.headers.get("content-length") if self.command == "HEAD" else None
            return self._send(upstream.status_code, upstream.content, headers, length)

        def _send(
            self, status: int, body: bytes, headers: dict[str, str], length: str | None = None
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", length or str(len(body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            # The client may give up reading (an oversized body): as intended.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler
