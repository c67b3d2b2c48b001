"""`isctl unpin` against a scripted API (the answers are checked against the
OpenAPI schema by the fake)."""

from __future__ import annotations

import json

import pytest

from imagestreams.cli.config import Config
from tests.cli import answers
from tests.cli.fakes import SERVER, FakeApi, error

DIGEST = "sha256:" + "5e" * 32
UNPIN = "projects/team/imagestreamtags/python:3.5/unpin"


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


def test_unpin_asks_the_server_and_prints_its_message(isctl):
    message = "Tag python:3.5 follows docker.io/library/python:3.5 again; an import was requested."
    answer = {"message": message, "tag": answers.istag("python:3.5", answers.image(DIGEST))}
    api = FakeApi().on("POST", UNPIN, answer)
    result = isctl("unpin", "python:3.5", transport=api.transport)
    assert (result.code, result.out) == (0, message + "\n")
    assert [json.loads(r.content) for r in api.requests] == [{}]
    as_json = isctl("unpin", "python:3.5", "-o", "json", transport=api.transport)
    assert json.loads(as_json.out)["message"] == message
    assert api.mismatches == []


def test_a_tag_that_is_not_pinned_is_an_error(isctl):
    detail = 'tag "3.5" is not pinned: it has no earlier upstream to follow again'
    api = FakeApi().on("POST", UNPIN, error(400, detail, "invalid"))
    result = isctl("unpin", "python:3.5", transport=api.transport)
    assert result.code == 1
    assert result.err == f"error: {detail}\n"


def test_unpin_has_help_with_examples(isctl):
    result = isctl("unpin", "--help")
    assert result.code == 0
    assert "isctl unpin python:3.12" in result.out.split("examples:", 1)[1]
