"""Settings of the Celery worker and beat processes that test_processes.py
starts: the test settings, on a queue of their own, with only the sweep on beat."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["SCHEDULING_TEST_QUEUE"]
CELERY_BEAT_SCHEDULE = {
    "scheduled-sweep": {
        "task": "imagestreams.tasks.scheduled_sweep",
        "schedule": float(os.environ["IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS"]),
    },
}
