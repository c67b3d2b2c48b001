"""Settings of the Celery worker processes that test_worker.py starts: the
test settings with a queue of their own, so that workers started by other
tests on the same Redis never take these tasks (or the other way round)."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["IMAGESTREAMS_TEST_QUEUE"]
