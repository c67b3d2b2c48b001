"""API tokens: created by their user (UI, API, `isctl login`), stored as a
sha256 hash, shown once, revoked by their user."""

from __future__ import annotations

import copy
import threading
import time
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import ApiToken
from imagestreams.models.access import TOKEN_PREFIX, hash_token
from imagestreams.services.errors import InvalidInput, NotFound

MAX_TOKEN_DAYS = 3650
MAX_NAME_LENGTH = cast(int, ApiToken._meta.get_field("name").max_length)  # a CharField's
# Recording every request would turn each API read into a write; a minute is
# precise enough to tell which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Tokens checked recently, by hash, in this process: (checked at, token with its
# user and service account). Most API calls then read nothing to authenticate;
# a revoked or expired token, or a disabled account, is refused at most
# settings.AUTH_CACHE_SECONDS later (at once in the process that revoked it).
_recent: dict[str, tuple[float, ApiToken]] = {}
_recent_lock = threading.Lock()
_RECENT_MAX = 10_000


class TokenRejected(Exception):
    """The presented token does not authenticate anyone; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_create(
    *, by: Principal, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token of the person `by`: (the stored token, the raw secret to show once)."""
    user = by.subject
    name = name.strip()
    if not name:
        raise InvalidInput("a token needs a name, e.g. the machine that uses it", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"token names have at most {MAX_NAME_LENGTH} characters", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"expires_in_days must be between 1 and {MAX_TOKEN_DAYS}", field="expires_in_days"
        )
    raw, prefix, key_hash = ApiToken.generate()
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, key_prefix=prefix, key_hash=key_hash, expires_at=expires_at
        )
        audit.record(
            "token.create",
            by=by,
            project=None,
            target=f"{user.get_username()}/{name}",
            after={"prefix": prefix},
        )
    return token, raw


def token_revoke(*, by: Principal, owner, token_id: int) -> None:
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token_id, user=owner, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not revoked:
            raise NotFound(f"token {token_id} not found", field="id")
        forget_recent_tokens()
        audit.record(
            "token.revoke", by=by, project=None, target=f"{owner.get_username()}/{token_id}"
        )


def token_authenticate(raw: str) -> ApiToken:
    """The active token whose secret is `raw`, its last use recorded."""
    if not raw.startswith(TOKEN_PREFIX):
        raise TokenRejected(f'invalid token: API tokens start with "{TOKEN_PREFIX}"')
    key_hash = hash_token(raw)
    if (recent := _recently_checked(key_hash)) is not None:
        return recent
    token = (
        ApiToken.objects.select_related("user", "service_account__project")
        .filter(key_hash=key_hash)
        .first()
    )
    if token is None:
        raise TokenRejected("invalid token: no such token (log in again to get a new one)")
    if token.revoked_at is not None:
        raise TokenRejected(f'token "{token.name}" was revoked; log in again to get a new one')
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRejected(
            f'token "{token.name}" expired at {token.expires_at:%Y-%m-%d %H:%M} UTC; '
            "log in again to get a new one"
        )
    if token.user is not None and not token.user.is_active:
        raise TokenRejected("the account of this token is disabled")
    _record_use(token, now)
    _remember(key_hash, token)
    return token


def _recently_checked(key_hash: str) -> ApiToken | None:
    """A copy of the token if this process checked it less than
    AUTH_CACHE_SECONDS ago and it has not expired since."""
    found = _recent.get(key_hash)
    if found is None:
        return None
    checked, token = found
    if time.monotonic() - checked >= settings.AUTH_CACHE_SECONDS:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    _record_use(token, now)
    # Each request gets its own instances: views may cache things on them.
    fresh = copy.copy(token)
    if token.user is not None:
        fresh.user = copy.copy(token.user)
    return fresh


def _remember(key_hash: str, token: ApiToken) -> None:
    if settings.AUTH_CACHE_SECONDS <= 0:
        return
    with _recent_lock:
        if len(_recent) >= _RECENT_MAX:
            _recent.clear()
        _recent[key_hash] = (time.monotonic(), token)


def forget_recent_tokens() -> None:
    """Check every token against the database again (this process)."""
    with _recent_lock:
        _recent.clear()


def _record_use(token: ApiToken, now) -> None:
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    # Conditional, so concurrent requests of one token write at most once.
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


def principal_of(token: ApiToken):
    """Who acts with `token`: its user, or its service account."""
    if (account := token.service_account) is not None:
        from imagestreams.access import ServiceAccountPrincipal

        return ServiceAccountPrincipal(account)
    return token.user
