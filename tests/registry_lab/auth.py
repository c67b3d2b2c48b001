"""httpx auth that answers a registry's 401 challenge: Basic, or Bearer via the token realm."""

from __future__ import annotations

import base64
import re
from collections.abc import Generator

import httpx

_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryAuthError(RuntimeError):
    pass


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """'Bearer realm="…",service="…",scope="…"' -> ('bearer', {...})."""
    scheme, _, params = header.strip().partition(" ")
    return scheme.lower(), dict(_PARAM.findall(params))


class RegistryAuth(httpx.Auth):
    """Sends the last credential that worked; on a 401 it follows the challenge once.

    For Bearer it fetches a token for the challenged scope (Basic-authenticated if
    we have credentials, anonymous otherwise), as docker and skopeo do. One token is
    kept at a time: a push needs at most one extra round trip to widen pull to pull,push.
    """

    requires_response_body = True  # so the token response can be read inside the flow

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self._basic: str | None = None
        if username is not None:
            pair = f"{username}:{password or ''}".encode()
            self._basic = "Basic " + base64.b64encode(pair).decode()
        self._header: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._header:
            request.headers["Authorization"] = self._header
        response = yield request
        if response.status_code != 401:
            return
        scheme, params = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic" and self._basic is not None:
            self._header = self._basic
        elif scheme == "bearer" and "realm" in params:
            token_response = yield self._token_request(params)
            self._header = f"Bearer {self._token_from(token_response)}"
        else:
            return
        request.headers["Authorization"] = self._header
        yield request

    def _token_request(self, challenge: dict[str, str]) -> httpx.Request:
        params = {"service": challenge.get("service", "")}
        if "scope" in challenge:
            params["scope"] = challenge["scope"]
        headers = {"Authorization": self._basic} if self._basic else {}
        return httpx.Request("GET", challenge["realm"], params=params, headers=headers)

    @staticmethod
    def _token_from(response: httpx.Response) -> str:
        if response.status_code != 200:
            raise RegistryAuthError(
                f"token server {response.request.url} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        body = response.json()
        return body.get("token") or body["access_token"]
