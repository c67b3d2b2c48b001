"""Rate limits of sign-in and token endpoints, counted in Django's cache.

A fixed window per key: the first hit of a window creates its counter with
the window as time-to-live, later hits increment it atomically (Redis INCR,
or the local-memory cache's lock). Keys are hashed, so usernames and
addresses never appear in the cache as they are.

If the cache cannot be reached the limit is not enforced and a warning is
logged: losing Redis must not lock every user out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    attempts: int
    seconds: int

    @classmethod
    def parse(cls, text: str, setting: str) -> Rate:
        attempts, _, seconds = text.partition("/")
        try:
            rate = cls(int(attempts), int(seconds))
        except ValueError:
            rate = cls(0, 0)
        if rate.attempts < 1 or rate.seconds < 1:
            raise ImproperlyConfigured(
                f"{setting} must be <attempts>/<seconds> with both at least 1, got {text!r}"
            )
        return rate


class Limited(Exception):
    """Too many attempts; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


class Limiter:
    """``Limiter("signin", "RATE_LIMIT_SIGNIN")``: the rate is read from the
    setting at every call, so tests and operators can change it."""

    def __init__(self, scope: str, setting: str) -> None:
        self.scope = scope
        self.setting = setting

    @property
    def rate(self) -> Rate:
        return Rate.parse(getattr(settings, self.setting), self.setting)

    def check(self, *identities: str) -> None:
        """Raise Limited if any identity used up its attempts in this window."""
        rate, now = self.rate, time.time()
        keys = self._keys(rate, now, identities)
        try:
            counts = cache.get_many(keys)
        except Exception:  # any cache failure: fail open
            logger.warning("rate limit %s not enforced: the cache is unavailable", self.scope)
            return
        if any(count >= rate.attempts for count in counts.values()):
            raise Limited(_retry_after(rate, now))

    def hit(self, *identities: str) -> None:
        """Count one attempt for every identity; raise Limited if any went over."""
        rate, now = self.rate, time.time()
        over = False
        try:
            for key in self._keys(rate, now, identities):
                # add() is a no-op when the counter exists; incr() is atomic.
                cache.add(key, 0, timeout=rate.seconds + 1)
                over = cache.incr(key) > rate.attempts or over
        except Exception:  # any cache failure: fail open
            logger.warning("rate limit %s not counted: the cache is unavailable", self.scope)
            return
        if over:
            raise Limited(_retry_after(rate, now))

    def _keys(self, rate: Rate, now: float, identities: tuple[str, ...]) -> list[str]:
        window = int(now // rate.seconds)
        return [
            f"ratelimit:{self.scope}:{window}:{_digest(identity)}"
            for identity in dict.fromkeys(identities)
            if identity
        ]


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _retry_after(rate: Rate, now: float) -> int:
    return max(1, math.ceil(rate.seconds - now % rate.seconds))


signin_limiter = Limiter("signin", "RATE_LIMIT_SIGNIN")
token_limiter = Limiter("tokens", "RATE_LIMIT_TOKENS")


def identities(address: str, username: str = "") -> tuple[str, ...]:
    """What one attempt counts against: the client's address and the account
    it names (case-insensitive: usernames are, for the attacker's purposes)."""
    return (f"address:{address}", f"user:{username.strip().lower()}" if username else "")
