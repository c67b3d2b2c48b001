"""Finding out how to talk to a registry: scheme, TLS verification, auth challenge.

The ``GET /v2/`` ping is done once per registry per client; its result decides
the base URL of every later request and lets us authenticate the first real
request up front instead of collecting a 401 for each one.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .auth import Challenge, parse_challenge
from .errors import Forbidden, InsecureRequired, RegistryError, RegistryUnavailable
from .netguard import blocked_address_in
from .status import error_for_status

# Fragments of the errors a TLS client gets when the server answers in plain
# HTTP (OpenSSL's "wrong version number", Go's wording, newer OpenSSL's).
_PLAIN_HTTP_SIGNS = (
    "wrong_version_number",
    "wrong version number",
    "http response to https client",
    "record layer failure",
    "packet length too long",
    "unknown protocol",
)


@dataclass
class Endpoint:
    base_url: str  # "https://host:port" or "http://host:port"
    verify_tls: bool
    challenge: Challenge | None


def discover_endpoint(
    http_for: Callable[[bool], httpx.Client],
    host: str,
    *,
    insecure: bool,
    repository: str,
    subject: str,
) -> Endpoint:
    """Ping ``/v2/`` and return where and how to send requests.

    ``http_for(verify_tls)`` hands out the verifying or the non-verifying
    client. Secure imports use HTTPS with verification only; insecure ones try
    HTTPS without verification and then plain HTTP, like Docker does.
    """
    if not insecure:
        try:
            return _ping(http_for(True), f"https://{host}", True, subject)
        except httpx.RequestError as exc:
            if isinstance(exc, httpx.ConnectError) and speaks_plain_http(exc):
                raise InsecureRequired(
                    f"the repository {host}/{repository} is HTTP only and requires the "
                    "insecure flag to import"
                ) from None
            raise transport_error(exc, host, subject) from None
    try:
        return _ping(http_for(False), f"https://{host}", False, subject)
    except httpx.ConnectError:
        pass  # refused or not TLS at all: plain HTTP is the next thing to try
    except httpx.RequestError as exc:
        raise transport_error(exc, host, subject) from None
    try:
        return _ping(http_for(False), f"http://{host}", False, subject)
    except httpx.RequestError as exc:
        raise transport_error(exc, host, subject) from None


def speaks_plain_http(exc: BaseException) -> bool:
    for error in _exception_chain(exc):
        text = str(error).lower()
        if any(sign in text for sign in _PLAIN_HTTP_SIGNS):
            return True
    return False


def transport_error(exc: Exception, host: str, subject: str) -> RegistryError:
    """Describe a failure below HTTP (DNS, TCP, TLS, timeouts, redirects)."""
    if blocked := blocked_address_in(exc):
        # Not retryable: the address will not become public by waiting.
        return Forbidden(
            f"refused to connect to {host} for {subject}: {blocked}; imports from loopback, "
            "private, link-local and metadata addresses are not allowed unless an operator "
            "allows them"
        )
    if isinstance(exc, httpx.TooManyRedirects):
        return RegistryUnavailable(
            f"the registry {host} redirected too many times (a redirect loop?) "
            f"while fetching {subject}",
            reason="InternalError",
        )
    if isinstance(exc, httpx.TimeoutException):
        return RegistryUnavailable(f"timed out talking to the registry {host} for {subject}")
    if any(isinstance(error, ssl.SSLCertVerificationError) for error in _exception_chain(exc)):
        # Not retryable: the certificate will not fix itself.
        return RegistryError(
            f"the TLS certificate of the registry {host} could not be verified while "
            f"fetching {subject} ({exc}); mark the import insecure to skip verification",
            reason="InternalError",
        )
    return RegistryUnavailable(f"cannot reach the registry {host} for {subject}: {exc}")


def _ping(http: httpx.Client, base_url: str, verify_tls: bool, subject: str) -> Endpoint:
    response = http.get(f"{base_url}/v2/")
    if response.status_code == 429 or response.status_code >= 500:
        raise error_for_status(response, response.content, subject=subject, missing="")
    # 200 means open access, 401 tells us how to authenticate; anything else
    # (old registries answer 404) is left for the real request to report.
    challenge = parse_challenge(response.headers) if response.status_code == 401 else None
    return Endpoint(base_url=base_url, verify_tls=verify_tls, challenge=challenge)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
