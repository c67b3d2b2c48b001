"""Test settings: the real settings with a test secret; the database comes
from DATABASE_URL (PostgreSQL in CI) or defaults to SQLite."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="imagestreams-test-"))
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
# The test registries run on loopback, on machines that are slow at times: a
# request to them never times out in a passing test (tests of timeouts set
# their own). Processes the tests start inherit it.
os.environ.setdefault("IMAGESTREAMS_REGISTRY_TIMEOUT", "60")

from imagestreams.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The test client and live servers speak plain HTTP.
SECURE_SSL_REDIRECT = False
# The test registries and receivers run on loopback; tests/reliability turns
# the outbound guard back on where it is under test.
IMPORT_ALLOW_PRIVATE_ADDRESSES = True
# Webhooks keep the production default whatever DEBUG says: the tests with a
# loopback receiver allow it themselves.
TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
# Every test signs in from 127.0.0.1: limits are tested in tests/reliability
# with their own numbers. Counters of one run never meet another run's.
RATE_LIMIT_SIGNIN = RATE_LIMIT_SIGNIN_ADDRESS = RATE_LIMIT_TOKENS = "1000000/60"
# Processes a test starts are given its own namespace (tests/processes.py).
if CACHES["default"].get("KEY_PREFIX"):  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = (  # noqa: F405
        os.environ.get("TEST_CACHE_KEY_PREFIX") or f"imagestreams-test-{os.getpid()}"
    )

# Tests do not run collectstatic: serve static files by their plain names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = DATA_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

# One way to run Celery work in tests: in the pytest process a task runs where
# it is queued, when its on-commit callback runs — inside
# django_capture_on_commit_callbacks(execute=True), or at the commit in a
# live-server test. Tests about processes start real workers instead
# (tests/processes.py); their settings (tests/process_settings.py) use a broker.
# A failing task is recorded in its result, as a worker would (on-commit
# callbacks are robust anyway): tests of retries apply tasks themselves.
CELERY_TASK_ALWAYS_EAGER = True
