"""/healthz for load balancers: 200 when the database, the broker and the
integrated registry answer, 503 with the failing part named otherwise."""

from __future__ import annotations

import pytest

from tests.registry_lab.net import free_port

pytestmark = pytest.mark.django_db


def test_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker"}  # no integrated registry paired
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_broker_that_is_down_makes_it_503(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    broker = body["checks"]["broker"]
    assert broker["status"] == "fail"
    assert "Connection refused" in broker["detail"] or "connecting" in broker["detail"]


@pytest.mark.registry
def test_the_integrated_registry_is_checked_when_paired(client, registry_factory, settings):
    paired = registry_factory()
    settings.INTEGRATED_REGISTRY_URL = paired.url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["integrated_registry"] == {
        "status": "ok",
        "detail": "GET /v2/ answered HTTP 200",
        "duration_ms": response.json()["checks"]["integrated_registry"]["duration_ms"],
    }
    paired.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["integrated_registry"]["status"] == "fail"


def test_it_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
