"""Structured logs: import and delivery lines carry project, stream and tag;
LOG_FORMAT=json turns every line into one JSON object."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagestreams.access import acting_system
from imagestreams.operations.logs import PlainContextFilter
from imagestreams.services.tagging import TagOptions, tag_set
from tests.api.conftest import url
from triggers.services.triggers import trigger_create

ROOT = Path(__file__).resolve().parents[2]
LOG_LINE = (
    "import logging; logging.getLogger('imagestreams.operations').warning("
    "'import of app:1 failed', extra={'project': 'team', 'stream': 'app', 'tag': '1'})"
)


def run_shell(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_lines_carry_the_fields():
    result = run_shell(LOG_LINE, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("{")]
    record = json.loads(line)
    assert record["message"] == "import of app:1 failed"
    assert (record["level"], record["logger"]) == ("WARNING", "imagestreams.operations")
    assert (record["project"], record["stream"], record["tag"]) == ("team", "app", "1")
    assert record["time"].endswith("+00:00")


def test_plain_lines_end_with_the_fields():
    result = run_shell(LOG_LINE)
    assert result.returncode == 0, result.stderr
    assert "import of app:1 failed project=team stream=app tag=1" in result.stderr


def test_an_unknown_format_is_refused_at_startup():
    result = run_shell("from django.conf import settings; settings.DEBUG", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert 'LOG_FORMAT must be "plain" or "json", not "xml"' in result.stderr


def test_lines_without_fields_stay_as_they_were():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    PlainContextFilter().filter(record)
    assert record.context == ""


@pytest.mark.django_db
@pytest.mark.registry
def test_an_import_logs_its_project_stream_and_tag(
    editor_api, team, registry, pusher, unique_repo, caplog
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="logs")
    body = {"target": "app:1", "from": pushed.reference, "confirm": True, "insecure": True}
    with caplog.at_level(logging.INFO, logger="imagestreams.operations"):
        assert editor_api.post(url("projects/team/imports"), body).status_code == 200
    [record] = [r for r in caplog.records if r.name == "imagestreams.operations"]
    assert (record.project, record.stream, record.tag) == ("team", "app", "1")
    assert record.registry == registry.host
    assert record.getMessage().endswith(pushed.digest)


@pytest.mark.django_db
def test_a_delivery_logs_its_project_stream_tag_and_trigger(
    team, receiver, caplog, django_capture_on_commit_callbacks
):
    trigger_create(
        project=team, name="hook", stream="app", url=f"{receiver.url}/hook", by=acting_system()
    )
    with (
        caplog.at_level(logging.INFO, logger="imagestreams.operations"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tag_set(
            project=team,
            source="quay.io/example/app:1",
            destinations=["app:1"],
            options=TagOptions(reference=True),
            by=acting_system(),
        )
    [record] = [r for r in caplog.records if r.getMessage().startswith("delivery ")]
    assert (record.project, record.stream, record.tag, record.trigger) == (
        "team",
        "app",
        "1",
        "hook",
    )
    assert "success (succeeded)" in record.getMessage()
