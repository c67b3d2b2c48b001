"""Versions of image streams and of access rules, kept in the shared cache, so
that reads of a stream (resolve, describe) can be answered from a recorded
answer, or `304 Not Modified`, without reading the database.

A stream's version is an opaque random token under the stream's name. Every
write to a stream's tags deletes it once the write has committed (the
services that take the stream lock call `stream_changed`; deleting a stream,
also by deleting its project, does too); the next reader puts a new token
there. A reader takes the token *before* it reads the stream's rows and
records its answer (ETag and body) under that token; the record is believed
only while the token is current. So a recorded answer can only be newer than
its token, never older: once a write has committed and replaced the token,
nobody is answered from what was read before.

The access version works the same way for who may view what: every removal
of a membership or a share (also by deleting a project or a user) replaces
it on commit. A process trusts its own record that a caller may view a
stream (access.remember_viewed) only under the access version current when
the caller was checked, so a removal takes effect at once in every process.

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
from django.db.models.signals import post_delete, pre_delete

logger = logging.getLogger(__name__)

# Only a bound on a lost invalidation (a cache that failed at the wrong moment);
# correct answers do not depend on it.
VERSION_SECONDS = 600
_UNSHARED = ("LocMemCache", "DummyCache")
ACCESS_KEY = "access-version"


def shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(_UNSHARED)


def _key(project: str, stream: str) -> str:
    return f"stream-version:{project}/{stream}"


@dataclass(frozen=True)
class Known:
    """What the cache knows about one answer derived from a stream."""

    version: str  # the stream's version token; "" without a shared cache
    access: str  # the access version token; "" without a shared cache
    etag: str = ""  # the ETag recorded for that answer under this version, or ""
    body: bytes | None = None  # the answer's body recorded with the ETag, if any
    content_type: str = ""


NOTHING = Known("", "")


def known(project: str, stream: str, answer: str) -> Known:
    """The stream's version, the access version, and the answer recorded for
    `answer` (a name for one representation of something in the stream)
    under that version, in one round trip. Call it before reading any row."""
    if not shared():
        return NOTHING
    version_key, answer_key = _key(project, stream), _answer_key(project, stream, answer)
    try:
        found = cache.get_many([version_key, answer_key, ACCESS_KEY])
        access = found.get(ACCESS_KEY) or _new_token(ACCESS_KEY)
        current = found.get(version_key)
        if current is None:
            return Known(_new_token(version_key), access)
        recorded = found.get(answer_key)
        if not recorded or recorded[0] != current:
            return Known(current, access)
        # Records of (version, etag) only, from before bodies were kept, have no body.
        body, content_type = recorded[2:4] if len(recorded) >= 4 else (None, "")
        return Known(current, access, recorded[1], body, content_type)
    except Exception:  # a cache that fails must cost database reads, never stale answers
        logger.warning("stream versions: the cache did not answer", exc_info=True)
        return NOTHING


def _new_token(key: str) -> str:
    fresh = secrets.token_hex(8)
    # Another reader may have put one there meanwhile: everyone uses the same.
    return fresh if cache.add(key, fresh, VERSION_SECONDS) else (cache.get(key) or "")


def record(
    project: str,
    stream: str,
    answer: str,
    version: str,
    etag: str,
    body: bytes | None = None,
    content_type: str = "",
) -> None:
    """Remember `etag` (and the body it names) for `answer`, read after
    `version` was taken. Only valid while `version` is current: a write
    since has replaced it."""
    if not version:
        return
    try:
        recorded = (version, etag, body, content_type)
        cache.set(_answer_key(project, stream, answer), recorded, VERSION_SECONDS)
    except Exception:
        logger.warning("stream versions: the cache did not answer", exc_info=True)


def _answer_key(project: str, stream: str, answer: str) -> str:
    digest = hashlib.sha256(answer.encode()).hexdigest()[:24]
    return f"stream-answer:{project}/{stream}:{digest}"


def stream_changed(project: str, stream: str) -> None:
    """Forget the stream's version once the current transaction commits (at
    once outside one)."""
    if shared():
        transaction.on_commit(lambda: _forget(_key(project, stream)))


def access_changed() -> None:
    """Forget the access version once the current transaction commits: every
    process checks again, in the database, who may view what."""
    if shared():
        transaction.on_commit(lambda: _forget(ACCESS_KEY))


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        # The token then lives until VERSION_SECONDS: the bound on staleness.
        logger.error("stream versions: could not forget %s", key, exc_info=True)


# --- removals, however they happen ---------------------------------------------
# Deletions cascade (a project deleted in the admin takes its streams, shares
# and memberships with it; a deleted user takes their memberships), so they
# are caught on the models rather than in each service.


def _stream_deleted(sender, instance, **kwargs) -> None:
    stream_changed(instance.project.name, instance.name)


def _access_removed(sender, **kwargs) -> None:
    access_changed()


def connect_removals() -> None:
    """Called once, by the app's ready()."""
    from imagestreams.models import ImageStream, Membership, Share

    # Before the delete, while the stream's project can still be read.
    pre_delete.connect(_stream_deleted, sender=ImageStream, dispatch_uid="freshness-stream")
    for model in (Membership, Share):
        post_delete.connect(
            _access_removed, sender=model, dispatch_uid=f"freshness-access-{model.__name__}"
        )
