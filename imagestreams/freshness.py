"""Versions of image streams, kept in the shared cache, so that a client that
polls a tag can be answered `304 Not Modified` without reading the database.

A stream's version is an opaque random token under the stream's name. Every
write to a stream's tags deletes it once the write has committed (the
services that take the stream lock call `stream_changed`); the next reader
puts a new token there. A reader takes the token *before* it reads the
stream's rows, so the token it hands out (in an ETag) can only be older
than what it read, never newer: a client holding it sees the next change.

Only a cache shared by every process can carry this (Redis, `REDIS_URL`);
with per-process memory (the embedded default), a writer in the worker
could not reach the web processes' copies, and `version` says so by
returning "" (callers then derive their ETags from the rows they read).
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# Only a bound on a lost invalidation (a cache that failed at the wrong moment);
# correct answers do not depend on it.
VERSION_SECONDS = 600
_UNSHARED = ("LocMemCache", "DummyCache")


def shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(_UNSHARED)


def _key(project: str, stream: str) -> str:
    return f"stream-version:{project}/{stream}"


def version(project: str, stream: str) -> str:
    """The stream's current version token ("" without a shared cache or when
    the cache does not answer). Call it before reading the stream's rows."""
    if not shared():
        return ""
    key = _key(project, stream)
    try:
        current = cache.get(key)
        if current is None:
            fresh = secrets.token_hex(8)
            current = fresh if cache.add(key, fresh, VERSION_SECONDS) else cache.get(key)
    except Exception:  # a cache that fails must cost 200s, never stale 304s
        logger.warning("stream versions: the cache did not answer", exc_info=True)
        return ""
    return current or ""


def stream_changed(project: str, stream: str) -> None:
    """Forget the stream's version once the current transaction commits (at
    once outside one)."""
    if shared():
        transaction.on_commit(lambda: _forget(project, stream))


def _forget(project: str, stream: str) -> None:
    try:
        cache.delete(_key(project, stream))
    except Exception:
        # The token then lives until VERSION_SECONDS: the bound on staleness.
        logger.error("stream versions: could not invalidate %s/%s", project, stream, exc_info=True)
