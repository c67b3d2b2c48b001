"""Settings of every process the tests start (tests/processes.py): the test
settings, with tasks sent to a broker (CELERY_BROKER_URL) on the test's own
queue, so that processes of other tests on the same Redis never take them."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_PROCESS_QUEUE"]
# A test may leave only some periodic tasks on beat (space-separated task names).
if os.environ.get("TEST_BEAT_TASKS"):
    CELERY_BEAT_SCHEDULE = {
        name: entry
        for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
        if entry["task"] in os.environ["TEST_BEAT_TASKS"].split()
    }
# As in production, from the environment: a test whose receiver listens on
# loopback says so (IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES=1).
TRIGGER_ALLOW_PRIVATE_ADDRESSES = envbool("IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES", False)  # noqa: F405
