"""Settings of every process a benchmark starts (web, workers, the driver).

The product's settings, plus the bench app (per-task query counts) and a URL
conf with trivial views to compare the API against. Nothing here changes how
the product behaves; the driver passes the rest (database, broker, limits) as
the usual environment variables.
"""

from __future__ import annotations

import os

from imagestreams.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
# The driver renders pages with Django's test client (host "testserver").
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
# No collectstatic in a benchmark: static files by their plain names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Each run uses a queue of its own, so that no other worker on the same Redis
# (the test suite's) takes its tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench")
# Beat is not used: the driver starts sweeps itself, when a measurement begins.
CELERY_BEAT_SCHEDULE = {}
# Where the workers write one JSON line per task (bench.apps).
BENCH_PROBE_FILE = os.environ.get("BENCH_PROBE_FILE", "")
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405
