"""Loopback helpers shared by the tests: free ports, polling, and how long
tests are patient with processes, registries and workers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

LOOPBACK = "127.0.0.1"
# How long a test waits for a state that processes, registries or workers
# reach (CI machines are shared and slow at times); a passing test waits only
# until the state is reached.
PATIENCE = 120.0
# The timeout of one request to a loopback registry or receiver in tests:
# never what a test measures, so no tighter than a loaded machine needs.
REQUEST_TIMEOUT = 60.0

T = TypeVar("T")


def free_port() -> int:
    """Return a loopback port that was free a moment ago.

    The registry binds the port itself, so there is a small race with other
    processes; RegistryProcess retries on "address already in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_until(
    check: Callable[[], T], *, timeout: float = PATIENCE, interval: float = 0.02
) -> T | bool:
    """Call `check` until it returns something true (returned) or `timeout`
    seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
