"""Rate limits of API endpoints that accept passwords (imagestreams.ratelimit)."""

from __future__ import annotations

from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from imagestreams.ratelimit import Limited, identities, token_limiter
from imagestreams.security import basic_username, client_address


def limit_token_creation(request: Request) -> None:
    """Count one token creation against the client's address and the Basic
    username, before authentication: `isctl login` sends its password here,
    so failed guesses must count too. Raises Throttled (429, Retry-After)."""
    raw = request._request
    try:
        token_limiter.hit(*identities(client_address(raw), basic_username(raw)))
    except Limited as exc:
        raise Throttled(
            wait=exc.retry_after,
            detail="Too many token requests from this address or for this user.",
        ) from None
