"""A database that does not answer (PostgreSQL down, SQLite locked past its
busy timeout): requests get 503 with Retry-After, never a 500; Celery tasks
given work retry it with backoff, periodic sweeps skip a run.

Faults are injected by making a selector, a service or the session store
raise what Django raises then; the last test runs a real server against a
PostgreSQL address where nothing listens."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import httpx
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client

from imagestreams.operations.tasks import prune_images_task
from imagestreams.tasks import (
    imports_reconcile_pending,
    registry_events_sweep_task,
    scheduled_check_batch,
    tag_import_task,
)
from imagestreams.unavailable import CODE
from tests.personas import PASSWORD
from tests.processes import running
from tests.registry_lab.net import free_port
from triggers.tasks import delivery_send_task, triggers_sweep_task

LOCKED = OperationalError("database is locked")


def fail(*args, **kwargs):
    raise LOCKED


def assert_unavailable_json(response) -> None:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == CODE
    assert "database" in body["detail"]
    assert set(body) == {"detail", "code", "field"}
    assert int(response.headers["Retry-After"]) > 0


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("text/html")
    assert "Temporarily unavailable" in response.content.decode()
    assert int(response.headers["Retry-After"]) > 0


# --- the API ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_api_read_answers_503_when_the_database_is_locked(admin_api, monkeypatch, caplog):
    monkeypatch.setattr("imagestreams.api.views.istags.istags_list", fail)
    with caplog.at_level(logging.WARNING):
        response = admin_api.get("/api/v1/projects/team/imagestreamtags")
    assert_unavailable_json(response)
    assert "database is locked" in caplog.text


@pytest.mark.django_db
def test_signing_in_to_the_api_answers_503_when_the_database_is_locked(admin_api, monkeypatch):
    monkeypatch.setattr("imagestreams.api.authentication.token_authenticate", fail)
    assert_unavailable_json(admin_api.get("/api/v1/projects"))


# --- web pages -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_answers_a_503_page_when_the_database_is_locked(client, personas, monkeypatch):
    client.force_login(personas["admin"])
    monkeypatch.setattr("imagestreams.web.views.projects.projects_overview", fail)
    assert_unavailable_page(client.get("/"))


@pytest.mark.django_db
def test_loading_the_session_fails_with_a_503_page(client, personas, monkeypatch):
    client.force_login(personas["admin"])
    monkeypatch.setattr(SessionStore, "load", fail)
    assert_unavailable_page(client.get("/"))


@pytest.mark.django_db
def test_saving_the_session_after_sign_in_fails_with_a_503_page(personas, monkeypatch):
    """The session middleware saves it after the view: handler500's case."""
    save = SessionStore.save

    def save_fails_after_the_view(self, must_create=False):
        if not must_create:  # the login view creates it; the middleware saves it
            raise LOCKED
        return save(self, must_create=must_create)

    monkeypatch.setattr(SessionStore, "save", save_fails_after_the_view)
    client = Client(raise_request_exception=False)
    response = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert_unavailable_page(response)


@pytest.mark.django_db
def test_other_server_errors_stay_500(client, personas, monkeypatch):
    client.force_login(personas["admin"])

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("imagestreams.web.views.projects.projects_overview", broken)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500


# --- Celery tasks ----------------------------------------------------------------


class Flaky:
    """Raises "database is locked" `failures` times, then returns `result`."""

    def __init__(self, failures: int, result=None) -> None:
        self.failures, self.result, self.calls = failures, result, []

    def __call__(self, *args, **kwargs):  # kwargs: the principal (`by=`) of some services
        self.calls.append(args)
        if len(self.calls) <= self.failures:
            raise LOCKED
        return self.result


CHECKED = SimpleNamespace(as_dict=dict)
PRUNED = SimpleNamespace(errors=[], summary="nothing to prune")


@pytest.mark.parametrize(
    ("task", "service", "args", "returns"),
    [
        (tag_import_task, "imagestreams.services.import_requests.requested_import_run", (7,), None),
        (scheduled_check_batch, "imagestreams.scheduling.checks.check_batch", ("t", [7]), CHECKED),
        (delivery_send_task, "triggers.services.deliveries.delivery_send", (7,), None),
        (prune_images_task, "imagestreams.operations.pruning.images_prune", (), PRUNED),
    ],
    ids=["import", "scheduled-check", "delivery", "prune"],
)
def test_a_task_retries_its_work_while_the_database_is_locked(
    monkeypatch, task, service, args, returns
):
    flaky = Flaky(failures=2, result=returns)
    monkeypatch.setattr(service, flaky)
    countdowns = []
    retry = task.retry

    def spy(*retry_args, **retry_kwargs):
        countdowns.append(retry_kwargs.get("countdown"))
        return retry(*retry_args, **retry_kwargs)

    monkeypatch.setattr(task, "retry", spy)
    result = task.apply(args=list(args))  # eagerly: each retry runs at once
    assert len(flaky.calls) == 3
    assert result.successful(), result.traceback
    assert len(countdowns) == 2 and all(c is not None for c in countdowns), countdowns


def test_a_task_gives_up_after_its_retries(monkeypatch):
    flaky = Flaky(failures=1000)
    monkeypatch.setattr("imagestreams.services.import_requests.requested_import_run", flaky)
    result = tag_import_task.apply(args=[7])
    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(flaky.calls) == tag_import_task.max_retries + 1


@pytest.mark.parametrize(
    ("task", "query"),
    [
        (imports_reconcile_pending, "imagestreams.tasks.pending_import_tags"),
        (triggers_sweep_task, "triggers.services.fanout.tag_changes_sweep"),
        (
            registry_events_sweep_task,
            "imagestreams.services.registry_events.registry_events_sweep",
        ),
    ],
    ids=["reconcile-imports", "triggers-sweep", "registry-events-sweep"],
)
def test_a_sweep_skips_its_run_while_the_database_is_locked(monkeypatch, caplog, task, query):
    monkeypatch.setattr(query, fail)
    with caplog.at_level(logging.WARNING):
        result = task.apply()
    assert result.successful(), result.traceback
    assert "database is locked" in caplog.text


# --- a real server whose PostgreSQL is down --------------------------------------


def test_a_server_whose_database_is_down_answers_503(tmp_path):
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/nothing-listens"
    with running(tmp_path, DATABASE_URL=nowhere) as processes:
        base = processes.gunicorn(workers=1)
        with httpx.Client(base_url=base, timeout=30, cookies={"sessionid": "s" * 32}) as http:
            api = http.get("/api/v1/projects", headers={"Authorization": "Bearer isk_x"})
            page = http.get("/", headers={"Accept": "text/html"})
    log = processes.log("gunicorn").read_text()
    assert_unavailable_json(api)
    assert page.status_code == 503, log
    assert "Temporarily unavailable" in page.text
    assert int(page.headers["Retry-After"]) > 0
    assert "Traceback" not in log, log
