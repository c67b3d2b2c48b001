"""Registry pings and authentication for the requests of one client.

The flow per request: find the registry's endpoint (one ``/v2/`` ping per
registry, remembered with the connection pools and tokens in a
SharedConnections, per client or per process), attach credentials or a cached
bearer token, send, and on a 401 answer the new challenge once. A remembered
endpoint whose request fails to connect or to authenticate is discovered
again for one more try. Credentials that the registry rejects are dropped for
one anonymous retry, as OpenShift's importer does.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from .auth import (
    Challenge,
    Credentials,
    TokenIssuer,
    access_denied,
    basic_authorization,
    credentials_rejected,
    fetch_token,
    parse_challenge,
    pull_scope,
)
from .connection import Endpoint, discover_endpoint, transport_error
from .errors import (
    CredentialsRejected,
    RateLimited,
    RegistryError,
    RegistryUnavailable,
    Unauthorized,
)
from .netguard import Guard
from .pool import POOL_LIMITS, SharedConnections, TransportFactory, host_of
from .quick import PreparedHead
from .reference import ImageReference
from .status import MAX_ERROR_BODY, error_for_status


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
        shared: SharedConnections | None = None,
    ) -> None:
        """``shared`` pools, endpoints and tokens outlive this session (they
        belong to the process); without it the session keeps its own."""
        self._credentials_lookup = credentials
        self._token_issuer = token_issuer
        self._insecure_registries = frozenset(host.lower() for host in insecure_registries)
        self._owns_shared = shared is None
        if shared is None:
            shared = SharedConnections(
                _transport_factory(transport, guard), timeout=timeout, user_agent=user_agent
            )
        self._shared = shared
        self._credentials_by_host: dict[str, Credentials | None] = {}
        self._rejected_hosts: set[str] = set()

    def close(self) -> None:
        if self._owns_shared:
            self._shared.close()

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

    def prepared_head(
        self, ref: ImageReference, path: str, *, insecure: bool, accept: str
    ) -> PreparedHead | None:
        """The HEAD that ``open`` would send first, if it needs nothing new
        (a remembered endpoint and, for token registries, a cached token)."""
        insecure = insecure or self._is_insecure_registry(ref)
        key = (ref.api_host, insecure)
        endpoint = self._shared.endpoint(key)
        if endpoint is None:
            return None
        host = ref.registry_host
        credentials = None if host in self._rejected_hosts else self._credentials(host)
        challenge = endpoint.challenge
        headers = {"Accept": accept}
        if challenge is not None and challenge.scheme == "bearer":
            scope = pull_scope(ref.repository)
            token = self._shared.tokens.get((endpoint.base_url, scope, _fingerprint(credentials)))
            if token is None:
                return None
            headers["Authorization"] = f"Bearer {token}"
        elif challenge is not None and credentials is not None:
            headers["Authorization"] = basic_authorization(credentials)
        url = endpoint.base_url + path
        return PreparedHead(_pacing_host(endpoint.base_url), url, headers, endpoint.verify_tls)

    def _open_as(self, request: _Request, credentials: Credentials | None) -> httpx.Response:
        endpoint, remembered = self._endpoint(request)
        if not remembered or request.method not in _IDEMPOTENT:
            return self._open_at(endpoint, request, credentials)
        try:
            return self._open_at(endpoint, request, credentials)
        except RegistryError as exc:
            if not _maybe_stale(exc):
                raise
        # The registry may have changed since its endpoint was remembered
        # (scheme, token realm, a restart): discover it again, try once more.
        self._shared.forget(_endpoint_key(request), endpoint)
        endpoint, _ = self._endpoint(request)
        return self._open_at(endpoint, request, credentials)

    def _open_at(
        self, endpoint: Endpoint, request: _Request, credentials: Credentials | None
    ) -> httpx.Response:
        auth, reused_token = self._authorization(endpoint, request, credentials, fresh=False)
        response = self._send(endpoint, request, auth)
        if response.status_code == 401:
            response.close()
            challenge = parse_challenge(response.headers) or endpoint.challenge
            if _worth_retrying(challenge, endpoint.challenge, auth, reused_token, credentials):
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
        # Tokens are shared by every session of the process: the key names
        # the credentials, so that one project never uses another's token.
        key = (endpoint.base_url, scope, _fingerprint(credentials))
        token = None if fresh else self._shared.tokens.get(key)
        if token:
            return {"Authorization": f"Bearer {token}"}, True
        issued = self._token_issuer(challenge, scope) if self._token_issuer else None
        token, lifetime = issued or self._fetch_token(endpoint, request, credentials)
        self._shared.tokens.put(key, token, lifetime)
        return {"Authorization": f"Bearer {token}"}, False

    def _fetch_token(
        self, endpoint: Endpoint, request: _Request, credentials: Credentials | None
    ) -> tuple[str, float]:
        challenge = endpoint.challenge
        assert challenge is not None  # a token is fetched only after the registry challenged
        http = self._shared.http(endpoint.verify_tls)
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
        http = self._shared.http(endpoint.verify_tls)
        headers = {"Accept": request.accept, **auth} if request.accept else auth
        outgoing = http.build_request(
            request.method, endpoint.base_url + request.path, headers=headers
        )
        try:
            return http.send(outgoing, stream=True)
        except httpx.RequestError as exc:
            raise transport_error(exc, request.ref.api_host, request.subject) from None

    def _endpoint(self, request: _Request) -> tuple[Endpoint, bool]:
        """The registry's endpoint, and whether it was remembered (not just discovered)."""
        key = _endpoint_key(request)
        endpoint = self._shared.endpoint(key)
        if endpoint is not None:
            return endpoint, True
        with self._shared.discovery(key):
            endpoint = self._shared.endpoint(key)
            if endpoint is not None:  # another thread has just discovered it
                return endpoint, False
            endpoint = discover_endpoint(
                self._shared.http,
                request.ref.api_host,
                insecure=request.insecure,
                repository=request.ref.repository,
                subject=request.subject,
            )
            self._shared.remember(key, endpoint)
        return endpoint, False

    def _credentials(self, host: str) -> Credentials | None:
        if self._credentials_lookup is None:
            return None
        if host not in self._credentials_by_host:
            self._credentials_by_host[host] = self._credentials_lookup(host)
        return self._credentials_by_host[host]

    def _is_insecure_registry(self, ref: ImageReference) -> bool:
        hosts = {ref.registry.lower(), ref.registry_host, ref.api_host}
        return not hosts.isdisjoint(self._insecure_registries)


_IDEMPOTENT = frozenset({"GET", "HEAD"})


def _transport_factory(transport: httpx.BaseTransport | None, guard: Guard) -> TransportFactory:
    if transport is not None:
        # A caller's own transport (tests, pacing) makes its own connections.
        return lambda verify_tls: transport
    return lambda verify_tls: guard.transport(verify=verify_tls, limits=POOL_LIMITS)


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
    used: Challenge | None,
    auth: dict[str, str],
    reused_token: bool,
    credentials: Credentials | None,
) -> bool:
    """After a 401 to a request made under the challenge ``used``: is there an
    answer we have not tried yet?"""
    scheme = challenge.scheme if challenge else None
    if scheme == "bearer":
        # We sent nothing (the ping said "open"), a cached token that the
        # registry no longer accepts, or a token of a realm it no longer uses.
        return not auth or reused_token or _realm_of(challenge) != _realm_of(used)
    return scheme == "basic" and not auth and credentials is not None


def _realm_of(challenge: Challenge | None) -> tuple[str, str]:
    return (challenge.realm, challenge.service) if challenge else ("", "")


def _maybe_stale(error: RegistryError) -> bool:
    """Could a remembered endpoint be the cause? Failures to connect or to
    authenticate may be; answers about the image itself (404, 403, 429) are not."""
    if isinstance(error, RateLimited):
        return False
    return isinstance(error, RegistryUnavailable | Unauthorized)


def _endpoint_key(request: _Request) -> tuple[str, bool]:
    return (request.ref.api_host, request.insecure)


def _fingerprint(credentials: Credentials | None) -> str:
    if credentials is None:
        return ""
    username, password = credentials
    return hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()


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


@functools.lru_cache(maxsize=1024)
def _pacing_host(base_url: str) -> str:
    # Parsed once per endpoint: a scheduled sweep prepares a HEAD per tag.
    return host_of(httpx.URL(base_url))
