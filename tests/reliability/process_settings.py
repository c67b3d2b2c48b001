"""Settings of the worker and beat processes that tests/reliability starts:
the test settings on a queue of their own."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["RELIABILITY_TEST_QUEUE"]
