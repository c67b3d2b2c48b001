"""Rate limits of password checks and token creation, counted in Django's cache.

A fixed window per key: the first hit of a window creates its counter with
the window as time-to-live, later hits increment it atomically (Redis INCR,
or the local-memory cache's lock). Keys are hashed, so usernames and
addresses never appear in the cache as they are.

If the cache cannot be reached the limit is not enforced and a warning is
logged: losing Redis must not lock every user out.
"""

from __future__ import annotations

import hashlib
import ipaddress
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


# Failed password checks, wherever a password is checked (the sign-in form,
# the admin's, HTTP Basic on the API, /registry/token): per account *and*
# client address, so that failing from one address never locks the right
# password out from another; and per address, against one client trying many
# accounts. There is no per-account counter of its own: whatever it refused
# would be the owner's right password, which anyone could then lock out.
signin_limiter = Limiter("signin", "RATE_LIMIT_SIGNIN")
signin_address_limiter = Limiter("signin-address", "RATE_LIMIT_SIGNIN_ADDRESS")
# API token creations, per authenticated user.
token_limiter = Limiter("tokens", "RATE_LIMIT_TOKENS")


def sign_in_allowed(address: str, username: str) -> None:
    """Raise Limited if a password check for `username` from `address` must
    be refused without looking at the password."""
    signin_limiter.check(_account_at(address, username))
    signin_address_limiter.check(_address(address))


def sign_in_failed(address: str, username: str) -> None:
    """Count a wrong password (or API token) for `username` from `address`;
    raise Limited if that used up an allowance."""
    limited: list[Limited] = []
    for limiter, identity in (
        (signin_limiter, _account_at(address, username)),
        (signin_address_limiter, _address(address)),
    ):
        try:
            limiter.hit(identity)
        except Limited as exc:
            limited.append(exc)
    if limited:
        raise max(limited, key=lambda exc: exc.retry_after)


def _account_at(address: str, username: str) -> str:
    # Case-insensitive: usernames are, for the attacker's purposes.
    return f"user:{username.strip().lower()}|{_address(address)}"


def _address(address: str) -> str:
    """An IPv4 address as it is; an IPv6 one by its /64, which one client
    usually has whole (counting single addresses would let it rotate)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"address:{address}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"address:{parsed.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"address:{parsed}"
