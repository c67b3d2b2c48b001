"""What tests that run real Celery worker and beat processes share: the test
database as a URL the processes can use, and the services they need."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from tests.registry_lab.fixtures import require_tool

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url() -> str:
    """The test database, for processes started by the test."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def require_postgres_and_redis(why: str) -> None:
    """Skip on SQLite (processes cannot share its test database); fail or skip
    (like the registry fixtures) when Redis does not answer."""
    if connection.vendor != "postgresql":
        pytest.skip(why)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        require_tool(None, f"redis-server (nothing answers at {REDIS_URL})")
