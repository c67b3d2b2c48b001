"""The rate limit of API token creation (imagestreams.ratelimit)."""

from __future__ import annotations

from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from imagestreams.ratelimit import Limited, token_limiter


def limit_token_creation(request: Request, user) -> None:
    """Count one token creation by `user`, who is authenticated: wrong
    passwords were counted by the sign-in limit before this, and no one else
    can use up someone's allowance. Raises Throttled (429, Retry-After)."""
    try:
        token_limiter.hit(f"user:{user.get_username().lower()}")
    except Limited as exc:
        raise Throttled(
            wait=exc.retry_after, detail="Too many token requests by this user."
        ) from None
