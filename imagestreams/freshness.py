"""Versions of image streams, kept in the shared cache, so that a client that
polls a tag can be answered `304 Not Modified` without reading the database.

A stream's version is an opaque random token under the stream's name. Every
write to a stream's tags deletes it once the write has committed (the
services that take the stream lock call `stream_changed`); the next reader
puts a new token there. A reader that answers a poll takes the token
*before* it reads the stream's rows and records its answer's ETag under
that token; the record is believed only while the token is current. So a
recorded ETag can only be newer than its token, never older: once a write
has committed and replaced the token, nobody is told "not modified".

Only a cache shared by every process can carry this (Redis, `REDIS_URL`);
with per-process memory (the embedded default), a writer in the worker
could not reach the web processes' copies, and `known` says so by
returning no version (callers then read the rows every time).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Known:
    """What the cache knows about one answer derived from a stream."""

    version: str  # the stream's version token; "" without a shared cache
    etag: str  # the ETag recorded for that answer under this version, or ""


def known(project: str, stream: str, answer: str) -> Known:
    """The stream's version and the ETag recorded for `answer` (a name for
    one representation of something in the stream) under that version, in
    one round trip. Call it before reading the stream's rows."""
    if not shared():
        return Known("", "")
    version_key, etag_key = _key(project, stream), _answer_key(project, stream, answer)
    try:
        found = cache.get_many([version_key, etag_key])
        current = found.get(version_key)
        if current is None:
            fresh = secrets.token_hex(8)
            current = fresh if cache.add(version_key, fresh, VERSION_SECONDS) else None
            return Known(current or cache.get(version_key) or "", "")
        recorded = found.get(etag_key)
        etag = recorded[1] if recorded and recorded[0] == current else ""
        return Known(current, etag)
    except Exception:  # a cache that fails must cost database reads, never stale 304s
        logger.warning("stream versions: the cache did not answer", exc_info=True)
        return Known("", "")


def record(project: str, stream: str, answer: str, version: str, etag: str) -> None:
    """Remember `etag` for `answer`, read after `version` was taken. Only
    valid while `version` is current: a write since has replaced it."""
    if not version:
        return
    try:
        cache.set(_answer_key(project, stream, answer), (version, etag), VERSION_SECONDS)
    except Exception:
        logger.warning("stream versions: the cache did not answer", exc_info=True)


def _answer_key(project: str, stream: str, answer: str) -> str:
    digest = hashlib.sha256(answer.encode()).hexdigest()[:24]
    return f"stream-answer:{project}/{stream}:{digest}"


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
