"""The REST API as `isctl` sees it (docs/api.md): JSON over httpx, bearer
tokens, one error type, pagination followed transparently."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from imagestreams.cli.errors import CliError

USER_AGENT = "isctl/0.1"
API_PREFIX = "/api/v1/"


class ApiError(CliError):
    """An HTTP error answer, with the API's `detail`, `code` and `field`."""

    def __init__(self, status: int, message: str, *, code: str = "", field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


def path(*segments: str) -> str:
    """Join URL path segments, quoting each (names may hold `:` and `@`)."""
    return "/".join(quote(str(segment), safe=":@") for segment in segments)


class ApiClient:
    def __init__(
        self,
        server: str,
        *,
        token: str = "",
        basic: tuple[str, str] | None = None,
        timeout: float = 30.0,
        verify: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server = server
        self.timeout = timeout
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=server.rstrip("/") + API_PREFIX,
            headers=headers,
            auth=httpx.BasicAuth(*basic) if basic else None,
            timeout=timeout,
            verify=verify,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", url, params=params)

    def post(self, url: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.request("POST", url, json=body if body is not None else {}, **kwargs)

    def put(self, url: str, body: dict[str, Any]) -> Any:
        return self.request("PUT", url, json=body)

    def patch(self, url: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", url, json=body)

    def delete(self, url: str) -> Any:
        return self.request("DELETE", url)

    def request(self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any) -> Any:
        seconds = timeout if timeout is not None else self.timeout
        with self._network_errors(seconds):
            response = self._http.request(method, url, timeout=seconds, **kwargs)
        return self._decode(response)

    def download(self, url: str, write: Callable[[str], object], **kwargs: Any) -> None:
        """Pass a text answer (an export) to `write` as it arrives; errors are
        the API's JSON errors."""
        with self._network_errors(self.timeout), self._http.stream("GET", url, **kwargs) as answer:
            if not answer.is_success:
                answer.read()
                self._decode(answer)
            for chunk in answer.iter_text():
                write(chunk)

    @contextlib.contextmanager
    def _network_errors(self, seconds: float) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException:
            raise CliError(
                f"the server {self.server} did not answer within {seconds:g} seconds",
                hint="wait longer with --request-timeout (e.g. --request-timeout=5m)",
            ) from None
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the server {self.server}: {_reason(exc)}") from None

    def list(self, url: str, *, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a list endpoint, following `next` links of paginated answers."""
        answer = self.get(url, params=params)
        if isinstance(answer, list):
            return answer
        items = list(answer.get("results") or [])
        while answer.get("next"):
            answer = self.get(answer["next"])
            items.extend(answer.get("results") or [])
        return items

    def _decode(self, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            if response.is_success:
                return None
            raise ApiError(response.status_code, _status_message(response))
        try:
            body = response.json()
        except ValueError:
            if response.is_success:
                raise CliError(
                    f"the server answered {response.request.url} with something that is not "
                    "JSON: is --server the address of an Image Streams service?"
                ) from None
            raise ApiError(response.status_code, _status_message(response)) from None
        if response.is_success:
            return body
        raise _api_error(response, body)


def _api_error(response: httpx.Response, body: Any) -> ApiError:
    detail, code, field = "", "", None
    if isinstance(body, dict):
        detail = str(body.get("detail") or "")
        code = str(body.get("code") or "")
        field = body.get("field")
        if not detail:
            # Not our error format (a proxy, a framework default): say what is there.
            detail = "; ".join(f"{key}: {value}" for key, value in body.items())
    return ApiError(
        response.status_code, detail or _status_message(response), code=code, field=field
    )


def _status_message(response: httpx.Response) -> str:
    return f"the server answered HTTP {response.status_code} {response.reason_phrase}".rstrip()


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"{text} (is the address right, and is the service running?)"
    return text
