"""A scripted API for unit tests of the CLI (httpx.MockTransport): routes
answer canned JSON and every request is recorded. Every answer is checked
against the API's OpenAPI schema (tests/cli/api_schema.py): a canned answer
the real API would never send fails the test, so the CLI cannot drift."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.cli.api_schema import response_errors

SERVER = "http://api.test"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeApi:
    routes: dict[tuple[str, str], Handler | tuple[int, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    def on(self, method: str, path: str, answer: Handler | tuple[int, Any] | Any) -> FakeApi:
        """`answer`: a handler, a (status, body) pair, or a body for a 200."""
        if not callable(answer) and not (isinstance(answer, tuple) and len(answer) == 2):
            answer = (200, answer)
        self.routes[(method, "/api/v1/" + path)] = answer
        return self

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(
                404, json={"detail": f"no route {request.url.path}", "code": "not_found"}
            )
        if callable(answer):
            response = answer(request)
            response.read()
            media_type = response.headers.get("content-type", "").split(";")[0].strip()
            if media_type and media_type != "application/json":
                self._check(request, response.status_code, response.text, media_type)
                return response
            body = json.loads(response.content) if response.content else None
            self._check(request, response.status_code, body)
            return response
        status, body = answer
        self._check(request, status, body)
        if body is None:
            return httpx.Response(status)
        return httpx.Response(status, json=body)

    def _check(
        self, request: httpx.Request, status: int, body: Any, media_type: str = "application/json"
    ) -> None:
        errors = response_errors(request.method, request.url.path, status, body, media_type)
        if errors:
            # Raised to the test, not to the CLI (which might report it politely).
            self.mismatches.extend(errors)
            raise AssertionError("canned answer unlike the API's:\n" + "\n".join(errors))

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == "/api/v1/" + path]

    def body(self, method: str, path: str) -> dict[str, Any]:
        [request] = self.sent(method, path)
        return json.loads(request.content)


def error(status: int, detail: str, code: str = "invalid", field: str | None = None):
    return (status, {"detail": detail, "code": code, "field": field})
