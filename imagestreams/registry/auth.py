"""Registry authentication: WWW-Authenticate challenges and bearer tokens.

Reference: https://distribution.github.io/distribution/spec/auth/token/
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from .errors import CredentialsRejected, Forbidden, RegistryError, Unauthorized
from .status import MAX_ERROR_BODY, error_for_status

Credentials = tuple[str, str]

# The token spec says to assume 60 s when the server gives no lifetime.
DEFAULT_TOKEN_LIFETIME = 60.0
# Renew a little early so a token never expires between cache and use.
_EXPIRY_MARGIN = 5.0

_SCHEME = re.compile(r"\s*,?\s*([A-Za-z][A-Za-z0-9_.+-]*)(?=\s|$)")
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*(?:,|$)')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "bearer" or "basic"
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")


def parse_challenge(headers: httpx.Headers) -> Challenge | None:
    """The challenge we can answer, preferring Bearer over Basic."""
    found: dict[str, Challenge] = {}
    for value in headers.get_list("www-authenticate"):
        for challenge in _parse_header_value(value):
            found.setdefault(challenge.scheme, challenge)
    bearer = found.get("bearer")
    if bearer is not None and bearer.realm:
        return bearer
    return found.get("basic")


def basic_authorization(credentials: Credentials) -> str:
    username, password = credentials
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {encoded}"


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


def delete_scope(repository: str) -> str:
    """Distribution 2.7+ asks for `delete` on a manifest DELETE."""
    return f"repository:{repository}:delete"


CATALOG_SCOPE = "registry:catalog:*"
# Signs a token for (challenge, scope) itself, or None to ask the realm.
TokenIssuer = Callable[[Challenge, str], tuple[str, float] | None]


class TokenCache:
    """Bearer tokens keyed by whatever the caller chooses, until they expire."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}

    def get(self, key: tuple[str, ...]) -> str | None:
        entry = self._tokens.get(key)
        if entry is None:
            return None
        token, expires_at = entry
        if self._clock() >= expires_at:
            self._tokens.pop(key, None)  # threads may share the cache
            return None
        return token

    def put(self, key: tuple[str, ...], token: str, lifetime: float) -> None:
        self._tokens[key] = (token, self._clock() + max(lifetime - _EXPIRY_MARGIN, 0.0))


def fetch_token(
    http: httpx.Client,
    challenge: Challenge,
    *,
    scope: str,
    credentials: Credentials | None,
    image: str,
) -> tuple[str, float]:
    """Ask the challenge's realm for a token; returns (token, lifetime seconds).

    ``image`` is the reference being imported, for error messages. Raises
    CredentialsRejected when the realm refuses the given credentials, so the
    caller can retry anonymously as OpenShift does.
    """
    try:
        url = httpx.URL(challenge.realm)
        url.host  # noqa: B018 (decoding a punycode host may fail too)
    except (httpx.InvalidURL, ValueError):
        raise RegistryError(
            f'the registry of image "{image}" names an invalid token server: {challenge.realm!r}'
        ) from None
    url = url.copy_merge_params(_token_params(challenge, scope, credentials))
    headers = {"Authorization": basic_authorization(credentials)} if credentials else {}
    response = http.get(url, headers=headers)
    subject = f'the token for image "{image}"'
    if response.status_code == 401:
        raise credentials_rejected(image) if credentials else access_denied(image, anonymous=True)
    if response.status_code == 403:
        raise Forbidden(f'access to the container image "{image}" is denied by the token service')
    if response.status_code != 200:
        body = response.content[:MAX_ERROR_BODY]
        raise error_for_status(response, body, subject=subject, missing="token service not found")
    return _token_from_body(response, subject)


def access_denied(image: str, *, anonymous: bool) -> Unauthorized:
    """OpenShift's wording, so users can search for it."""
    message = f'you may not have access to the container image "{image}"'
    if anonymous:
        message += " and did not have credentials to the repository"
    return Unauthorized(message)


def credentials_rejected(image: str) -> CredentialsRejected:
    return CredentialsRejected(f'incorrect username or password for image "{image}"')


def _token_params(
    challenge: Challenge, scope: str, credentials: Credentials | None
) -> dict[str, str]:
    params = {"scope": scope}
    if challenge.service:
        params["service"] = challenge.service
    if credentials:
        # Docker and skopeo send the account; some token servers require it.
        params["account"] = credentials[0]
    return params


def _token_from_body(response: httpx.Response, subject: str) -> tuple[str, float]:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise RegistryError(f"the token service sent an unreadable answer for {subject}")
    token = document.get("token") or document.get("access_token")
    if not isinstance(token, str) or not token:
        raise RegistryError(f"the token service sent no token for {subject}")
    lifetime = document.get("expires_in")
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    return token, float(lifetime)


def _parse_header_value(value: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    position = 0
    while scheme_match := _SCHEME.match(value, position):
        position = scheme_match.end()
        params: dict[str, str] = {}
        while param_match := _PARAM.match(value, position):
            params[param_match.group(1).lower()] = _unquote(param_match.group(2))
            position = param_match.end()
        challenges.append(Challenge(scheme_match.group(1).lower(), params))
    return challenges


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
