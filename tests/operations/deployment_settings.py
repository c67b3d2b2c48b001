"""Settings of the Celery workers and beat that test_deployment.py starts:
the test settings with the production beat schedule, on a queue of their own
(so that workers of other tests sharing the Redis never take these tasks)."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["DEPLOYMENT_TEST_QUEUE"]
