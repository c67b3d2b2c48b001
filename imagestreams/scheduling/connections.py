"""The registry connections of a worker process, kept from batch to batch.

Every batch of scheduled checks used to build its clients afresh: a TCP
connection (and a DNS lookup, and for plain-HTTP registries a failed TLS
attempt) per thread, and a ``/v2/`` ping per thread and project. The pools,
endpoints and tokens now belong to the process (registry/pool.py); a batch
only builds its cheap per-thread clients on top.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Hashable

from imagestreams.registry.pool import SharedConnections

_lock = threading.Lock()
_current: tuple[Hashable, SharedConnections] | None = None


def process_connections(key: Hashable, build: Callable[[], SharedConnections]) -> SharedConnections:
    """The process's connections for ``key`` (what ``build`` depends on: the
    guard, the limits, the settings, a test's transport), replacing those of
    another key."""
    global _current
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        stale = _current
        shared = build()
        _current = (key, shared)
    if stale is not None:
        stale[1].close()
    return shared


def forget_connections() -> None:
    """Drop the process's connections (tests; a forked child must not share
    its parent's sockets)."""
    global _current
    stale, _current = _current, None
    if stale is not None:
        stale[1].close()


def _after_fork() -> None:
    global _current
    _current = None  # the parent's sockets are not closed from here


os.register_at_fork(after_in_child=_after_fork)
# Closed while the event loop's thread still runs, so that its sockets close cleanly.
atexit.register(forget_connections)
