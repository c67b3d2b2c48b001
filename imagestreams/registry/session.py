"""Pooled connections, registry pings and authentication for one batch of requests.

The flow per request: find the registry's endpoint (one ``/v2/`` ping per
registry, cached), attach credentials or a cached bearer token, send, and on a
401 answer the new challenge once. Credentials that the registry rejects are
dropped for one anonymous retry, as OpenShift's importer does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from .auth import (
    Challenge,
    Credentials,
    TokenCache,
    TokenIssuer,
    access_denied,
    basic_authorization,
    credentials_rejected,
    fetch_token,
    parse_challenge,
    pull_scope,
)
from .connection import Endpoint, discover_endpoint, transport_error
from .errors import CredentialsRejected, RegistryError, Unauthorized
from .netguard import Guard
from .reference import ImageReference
from .status import MAX_ERROR_BODY, error_for_status

MAX_REDIRECTS = 5
# Measured against a local registry, a pool of about 8 connections is the
# sweet spot for httpx; more only adds client-side overhead.
POOL_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=30.0)


class RegistrySession:
    def __init__(
        self,
        *,
        credentials: Callable[[str], Credentials | None] | None,
        insecure_registries: Iterable[str],
        timeout: float,
        user_agent: str,
        transport: httpx.BaseTransport | None,
        guard: Guard,
        token_issuer: TokenIssuer | None = None,
    ) -> None:
        self._credentials_lookup = credentials
        self._token_issuer = token_issuer
        self._guard = guard
        self._insecure_registries = frozenset(host.lower() for host in insecure_registries)
        self._timeout = timeout
        self._user_agent = user_agent
        self._transport = transport
        # Keyed by "verify TLS?": httpx fixes verification per client, so an
        # insecure import needs a second, non-verifying pool.
        self._clients: dict[bool, httpx.Client] = {}
        self._endpoints: dict[tuple[str, bool], Endpoint] = {}
        self._credentials_by_host: dict[str, Credentials | None] = {}
        self._rejected_hosts: set[str] = set()
        self._tokens = TokenCache()

    def close(self) -> None:
        for http in self._clients.values():
            http.close()
        self._clients.clear()

    def open(
        self,
        ref: ImageReference,
        method: str,
        path: str,
        *,
        insecure: bool,
        subject: str,
        accept: str = "",
        missing: str = "manifest unknown",
        scope: str = "",
    ) -> httpx.Response:
        """Send an authenticated request and return the open, streamed 2xx response.

        ``subject`` names what is being fetched in error messages and
        ``missing`` explains a 404 that comes without a body. ``scope`` is the
        token scope the request needs (default: pull of ``ref``'s repository).
        Failures are raised as RegistryError subclasses; the caller must read
        or close the response.
        """
        insecure = insecure or self._is_insecure_registry(ref)
        scope = scope or pull_scope(ref.repository)
        request = _Request(ref, method, path, insecure, accept, subject, missing, scope)
        host = ref.registry_host
        credentials = self._credentials(host)
        if credentials is None:
            return self._open_as(request, None)
        if host not in self._rejected_hosts:
            try:
                return self._open_as(request, credentials)
            except CredentialsRejected:
                # Remembered so the rest of the batch goes straight to the
                # anonymous attempt instead of paying for the refusal again.
                self._rejected_hosts.add(host)
        # Like OpenShift: wrong stored credentials must not block public
        # images, but if anonymous access fails too, the credential error is
        # the one worth reporting (unless the failure is a transient one).
        try:
            return self._open_as(request, None)
        except RegistryError as anonymous_error:
            if anonymous_error.retryable:
                raise
            raise credentials_rejected(ref.exact()) from None

    def _open_as(self, request: _Request, credentials: Credentials | None) -> httpx.Response:
        endpoint = self._endpoint(request)
        auth, reused_token = self._authorization(endpoint, request, credentials, fresh=False)
        response = self._send(endpoint, request, auth)
        if response.status_code == 401:
            response.close()
            challenge = parse_challenge(response.headers) or endpoint.challenge
            if _worth_retrying(challenge, auth, reused_token, credentials):
                endpoint.challenge = challenge
                auth, _ = self._authorization(endpoint, request, credentials, fresh=True)
                response = self._send(endpoint, request, auth)
        if response.status_code == 401:
            response.close()
            raise _unauthorized(endpoint, credentials, request.ref.exact())
        if not response.is_success:
            body = read_body(response, MAX_ERROR_BODY, None, request.subject)
            raise error_for_status(response, body, subject=request.subject, missing=request.missing)
        return response

    def _authorization(
        self,
        endpoint: Endpoint,
        request: _Request,
        credentials: Credentials | None,
        *,
        fresh: bool,
    ) -> tuple[dict[str, str], bool]:
        """Authorization header for the request, and whether a cached token was used."""
        challenge = endpoint.challenge
        if challenge is None:
            return {}, False
        if challenge.scheme != "bearer":
            header = {"Authorization": basic_authorization(credentials)} if credentials else {}
            return header, False
        scope = request.scope
        key = (endpoint.base_url, scope, credentials[0] if credentials else "")
        token = None if fresh else self._tokens.get(key)
        if token:
            return {"Authorization": f"Bearer {token}"}, True
        issued = self._token_issuer(challenge, scope) if self._token_issuer else None
        token, lifetime = issued or self._fetch_token(endpoint, request, credentials)
        self._tokens.put(key, token, lifetime)
        return {"Authorization": f"Bearer {token}"}, False

    def _fetch_token(
        self, endpoint: Endpoint, request: _Request, credentials: Credentials | None
    ) -> tuple[str, float]:
        challenge = endpoint.challenge
        assert challenge is not None  # a token is fetched only after the registry challenged
        http = self._http(endpoint.verify_tls)
        try:
            return fetch_token(
                http,
                challenge,
                scope=request.scope,
                credentials=credentials,
                image=request.ref.exact(),
            )
        except httpx.RequestError as exc:
            realm_host = httpx.URL(challenge.realm).host or challenge.realm
            raise transport_error(exc, realm_host, request.subject) from None

    def _send(self, endpoint: Endpoint, request: _Request, auth: dict[str, str]) -> httpx.Response:
        http = self._http(endpoint.verify_tls)
        headers = {"Accept": request.accept, **auth} if request.accept else auth
        outgoing = http.build_request(
            request.method, endpoint.base_url + request.path, headers=headers
        )
        try:
            return http.send(outgoing, stream=True)
        except httpx.RequestError as exc:
            raise transport_error(exc, request.ref.api_host, request.subject) from None

    def _endpoint(self, request: _Request) -> Endpoint:
        key = (request.ref.api_host, request.insecure)
        if key not in self._endpoints:
            self._endpoints[key] = discover_endpoint(
                self._http,
                request.ref.api_host,
                insecure=request.insecure,
                repository=request.ref.repository,
                subject=request.subject,
            )
        return self._endpoints[key]

    def _http(self, verify_tls: bool) -> httpx.Client:
        if verify_tls not in self._clients:
            # A caller's own transport (tests, pacing) makes its own connections.
            transport = self._transport or self._guard.transport(
                verify=verify_tls, limits=POOL_LIMITS
            )
            self._clients[verify_tls] = httpx.Client(
                transport=transport,
                verify=verify_tls,
                timeout=self._timeout,
                limits=POOL_LIMITS,
                headers={"User-Agent": self._user_agent},
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
            )
        return self._clients[verify_tls]

    def _credentials(self, host: str) -> Credentials | None:
        if self._credentials_lookup is None:
            return None
        if host not in self._credentials_by_host:
            self._credentials_by_host[host] = self._credentials_lookup(host)
        return self._credentials_by_host[host]

    def _is_insecure_registry(self, ref: ImageReference) -> bool:
        hosts = {ref.registry.lower(), ref.registry_host, ref.api_host}
        return not hosts.isdisjoint(self._insecure_registries)


@dataclass(frozen=True)
class _Request:
    """What one logical request is about; survives auth retries unchanged."""

    ref: ImageReference
    method: str
    path: str
    insecure: bool
    accept: str
    subject: str
    missing: str
    scope: str  # of the bearer token the request needs


def _worth_retrying(
    challenge: Challenge | None,
    auth: dict[str, str],
    reused_token: bool,
    credentials: Credentials | None,
) -> bool:
    """After a 401: is there an answer we have not tried yet?"""
    scheme = challenge.scheme if challenge else None
    if scheme == "bearer":
        # Either we sent nothing (the ping said "open") or a cached token
        # that the registry no longer accepts.
        return not auth or reused_token
    return scheme == "basic" and not auth and credentials is not None


def _unauthorized(endpoint: Endpoint, credentials: Credentials | None, image: str) -> Unauthorized:
    if credentials is not None and endpoint.challenge and endpoint.challenge.scheme == "basic":
        # With Basic auth a 401 can only mean the password was refused.
        return credentials_rejected(image)
    return access_denied(image, anonymous=credentials is None)


def read_body(
    response: httpx.Response,
    limit: int,
    too_large: Callable[[], RegistryError] | None,
    subject: str,
) -> bytes:
    """Read a streamed body, refusing more than ``limit`` bytes (or truncating
    when ``too_large`` is None, which is fine for error bodies)."""
    try:
        declared = response.headers.get("content-length", "")
        if too_large and declared.isdigit() and int(declared) > limit:
            raise too_large()
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                if too_large:
                    raise too_large()
                chunks.append(chunk[: limit - (total - len(chunk))])
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except httpx.RequestError as exc:
        raise transport_error(exc, response.url.host, subject) from None
    finally:
        response.close()
