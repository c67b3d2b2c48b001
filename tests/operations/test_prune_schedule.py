"""The optional prune schedule on beat: off by default, a cron expression
turns it on, a wrong one stops the service from starting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "from django.conf import settings; "
    "entry = settings.CELERY_BEAT_SCHEDULE.get('prune-images'); "
    "print(entry['task'], entry['schedule']) if entry else print('off')"
)


def beat_entry(schedule: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env.pop("IMAGESTREAMS_PRUNE_SCHEDULE", None)
    if schedule is not None:
        env["IMAGESTREAMS_PRUNE_SCHEDULE"] = schedule
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_pruning_is_not_scheduled_unless_asked():
    assert beat_entry(None).stdout.strip() == "off"


def test_a_cron_expression_schedules_it_on_beat():
    result = beat_entry("30 2 * * 0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "imagestreams.operations.tasks.prune_images_task <crontab: 30 2 * * 0 (m/h/dM/MY/d)>"
    )


def test_a_wrong_schedule_is_refused_at_startup():
    result = beat_entry("every night")
    assert result.returncode != 0
    assert "IMAGESTREAMS_PRUNE_SCHEDULE must be a cron expression such as '0 0 * * *'" in (
        result.stderr
    )
