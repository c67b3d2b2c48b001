"""When a tag whose scheduled check failed is tried again."""

from __future__ import annotations

import random
from collections.abc import Callable

# Spread retries a little so tags that failed together (a registry outage)
# do not all come back in the same second.
JITTER = 0.1


def failure_delay(
    failures: int,
    *,
    interval: float,
    maximum: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds until the next check after ``failures`` failed checks in a row.

    The first retry comes after one normal interval (a failing tag is never
    checked more often than a healthy one), then the delay doubles up to
    ``maximum``. A registry's Retry-After (or rate-limit reset) is always
    honoured, even beyond ``maximum``.
    """
    exponent = min(max(failures, 1) - 1, 32)  # 2**32 intervals is "forever" already
    delay = max(min(interval * 2**exponent, maximum), interval)
    delay *= 1 + JITTER * rand()
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
