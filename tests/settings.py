"""Test settings: the real settings with a test secret; the database comes
from DATABASE_URL (PostgreSQL in CI) or defaults to SQLite."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="imagestreams-test-"))
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from imagestreams.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Tests do not run collectstatic: serve static files by their plain names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = DATA_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
