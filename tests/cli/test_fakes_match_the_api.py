"""The scripted API of the CLI's unit tests answers only what the real API
could: its canned answers are checked against the OpenAPI schema."""

from __future__ import annotations

import httpx
import pytest

from tests.cli.answers import page, project, whoami
from tests.cli.fakes import SERVER, FakeApi, error


def get(api: FakeApi, path: str) -> httpx.Response:
    with httpx.Client(transport=api.transport, base_url=SERVER) as client:
        return client.get("/api/v1/" + path)


def test_an_answer_shaped_like_the_apis_is_served():
    api = FakeApi().on("GET", "projects", page([project("team")]))
    api.on("GET", "projects/secret", error(404, "not found", "not_found"))
    assert get(api, "projects").json()["results"][0]["name"] == "team"
    assert get(api, "projects/secret").status_code == 404
    assert api.mismatches == []


@pytest.mark.parametrize(
    ("path", "answer", "mismatch"),
    [
        # A list where the API pages its answer.
        ("projects", [project("team")], "is not of type 'object'"),
        ("whoami", {"username": "alice"}, "'is_superuser' is a required property"),
        ("whoami", whoami("alice", is_superuser="no"), "'no' is not of type 'boolean'"),
        # An error without the field every error of the API has.
        ("whoami", (401, {"detail": "no", "code": "auth"}), "'field' is a required property"),
    ],
)
def test_an_answer_the_api_would_never_send_fails_the_test(path, answer, mismatch):
    api = FakeApi().on("GET", path, answer)
    with pytest.raises(AssertionError, match="canned answer unlike the API's"):
        get(api, path)
    assert any(mismatch in line for line in api.mismatches), api.mismatches


def test_answers_of_handlers_are_checked_too():
    api = FakeApi().on("GET", "whoami", lambda request: httpx.Response(200, json={}))
    with pytest.raises(AssertionError):
        get(api, "whoami")
    assert "'username' is a required property" in "\n".join(api.mismatches)


@pytest.mark.parametrize(
    ("method", "path", "answer"),
    [
        ("GET", "imagestreams", page([])),  # no such operation
        ("DELETE", "whoami", (204, None)),  # no such method
        ("GET", "whoami", (202, whoami("alice"))),  # never answered with this status
    ],
)
def test_an_operation_or_status_the_api_does_not_have_fails_the_test(method, path, answer):
    api = FakeApi().on(method, path, answer)
    with (
        httpx.Client(transport=api.transport, base_url=SERVER) as client,
        pytest.raises(AssertionError, match=r"never answers|has no operation"),
    ):
        client.request(method, "/api/v1/" + path)


def test_a_text_answer_must_have_a_media_type_the_operation_declares():
    export = "projects/team/audit/export"
    api = FakeApi().on("GET", export, lambda r: httpx.Response(200, text="id\n", headers=CSV))
    assert get(api, export).text == "id\n"
    api = FakeApi().on("GET", export, lambda r: httpx.Response(200, text="<html>", headers=HTML))
    with pytest.raises(AssertionError, match="never answers text/html"):
        get(api, export)


CSV = {"content-type": "text/csv; charset=utf-8"}
HTML = {"content-type": "text/html"}
