"""Health checks for load balancers and orchestrators: can this process
reach the database, the broker and (when paired) the integrated registry?

Each check is bounded by a short timeout so that a hanging dependency makes
the answer "unhealthy", never a hanging health endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import connection

TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    duration_ms: int

    def as_dict(self) -> dict:
        return {
            "status": "ok" if self.ok else "fail",
            "detail": self.detail,
            "duration_ms": self.duration_ms,
        }


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return f"{connection.vendor} answers"


def check_broker() -> str:
    from imagestreams.celery import app

    url = settings.CELERY_BROKER_URL  # what the app was configured with
    with app.connection_for_write(url, connect_timeout=TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS
        )
        return f"{broker.transport_cls} broker answers"


def check_integrated_registry() -> str:
    """The registry's API base answers: 200, or 401 when it wants a login."""
    url = settings.INTEGRATED_REGISTRY_URL + "/v2/"
    response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
    if response.status_code not in (200, 401):
        raise RuntimeError(f"GET /v2/ answered HTTP {response.status_code}")
    return f"GET /v2/ answered HTTP {response.status_code}"


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    started = time.monotonic()
    try:
        detail, ok = check(), True
    except Exception as exc:  # any failure means unhealthy, with the reason shown
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return CheckResult(name, ok, detail, int((time.monotonic() - started) * 1000))


def health() -> tuple[bool, dict]:
    """(healthy?, the JSON document /healthz answers)."""
    checks = {"database": check_database, "broker": check_broker}
    if settings.INTEGRATED_REGISTRY_URL:
        checks["integrated_registry"] = check_integrated_registry
    results = [run_check(name, check) for name, check in checks.items()]
    healthy = all(result.ok for result in results)
    document = {
        "status": "ok" if healthy else "fail",
        "checks": {result.name: result.as_dict() for result in results},
    }
    return healthy, document
