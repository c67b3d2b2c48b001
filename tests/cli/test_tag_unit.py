"""`isctl tag`: oc's client-side checks before any request, the request, the
server's messages."""

from __future__ import annotations

import pytest

from imagestreams.cli.config import Config
from tests.cli.fakes import SERVER, FakeApi, error

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["python:3.5"],
            "you must specify a source and at least one destination or one or more tags to delete",
        ),
        (
            ["-d"],
            "you must specify a source and at least one destination or one or more tags to delete",
        ),
        (["-d", "--alias", "python:3.5"], "--alias and --delete may not be both specified"),
        (["-d", "--source=docker", "python:3.5"], "cannot specify a source kind when deleting"),
        (
            ["-d", "--scheduled", "python:3.5"],
            "cannot set flags for importing images when deleting a tag",
        ),
        (
            ["-d", "--import-mode=Legacy", "python:3.5"],
            "cannot specify an import mode when deleting",
        ),
        (
            ["--source=git", "a:1", "b:1"],
            'invalid source "git"; valid values are docker, '
            "dockerimage, imagestreamimage, imagestreamtag, isimage, istag",
        ),
        (
            ["--reference-policy=proxy", "a:1", "b:1"],
            "reference policy must be set to 'source' or 'local'",
        ),
        (
            ["--scheduled", "python:3.5", "python:latest"],
            "only container images can have importing flags set",
        ),
        (
            ["--insecure", "python@sha256:abc", "python:latest"],
            "only container images can have importing flags set",
        ),
        (
            ["--alias", "--scheduled", "--source=istag", "a:1", "a:2"],
            "only container images can have importing flags set",
        ),
        (
            ["--alias", "python:3.5", "ruby:latest"],
            "cannot set alias across different Image Streams",
        ),
        (
            ["--alias", "python:3.5", "other/python:latest"],
            "cannot set alias across different Image Streams",
        ),
        (
            ["--alias", "quay.io/a/b:1", "b:1"],
            "--alias requires a source of the form <stream>:<tag>",
        ),
        (
            ["--import-mode=Fast", "quay.io/a/b:1", "b:1"],
            "valid ImportMode values are Legacy or PreserveOriginal",
        ),
        (["quay.io/a/b:1", "python"], '"python" must be of the form <stream_name>:<tag>'),
        (["quay.io/a/b:1", "a/b/c:1"], 'invalid image stream "a/b/c:1"'),
        (
            ["quay.io/a/b:1", "python:-x"],
            "invalid tag '-x' format, tags must start with an "
            "alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a "
            "maximum of 128 characters",
        ),
    ],
)
def test_bad_usage_is_refused_before_any_request(isctl, argv, message):
    api = FakeApi()
    result = isctl("tag", *argv, transport=api.transport)
    assert result.code == 2
    assert result.err.startswith(f"error: {message}\n")
    assert api.requests == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Quay.io/A:1", "a:1"], "invalid SOURCE: 'A' is not a valid repository name component"),
        (
            ["--source=istag", "quay.io/a/b:1", "a:1"],
            "server in SOURCE is only allowed when providing a container image",
        ),
        (
            ["--source=istag", "python", "a:1"],
            "--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE",
        ),
        (
            ["--source=isimage", "python:1", "a:1"],
            "--source=ImageStreamImage requires a valid <name>@<id> in SOURCE",
        ),
    ],
)
def test_bad_sources_are_refused_before_any_request(isctl, argv, message):
    api = FakeApi()
    result = isctl("tag", *argv, transport=api.transport)
    assert result.code == 2
    assert result.err.startswith(f"error: {message}")
    assert api.requests == []


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("quay.io/team/app:1", "docker"),  # a registry host
        ("localhost:5000/app", "docker"),
        ("mysql", "docker"),  # neither tag nor digest
        ("python:3.5", "istag"),  # oc reads this as a tag of a stream, not Docker Hub
        ("team-b/python:3.5", "istag"),
        ("python@sha256:49c183", "isimage"),  # a digest prefix names an image of a stream
        (f"python@{DIGEST}", "isimage"),
    ],
)
def test_the_source_kind_is_inferred_like_oc(isctl, source, kind):
    api = FakeApi().on("POST", "projects/team/tag", {"results": []})
    assert isctl("tag", source, "python:x", transport=api.transport).code == 0
    assert api.body("POST", "projects/team/tag")["source_kind"] == kind


def test_tag_sends_every_destination_and_prints_the_messages(isctl):
    api = FakeApi().on(
        "POST",
        "projects/team/tag",
        {
            "results": [
                {
                    "destination": "team/python:3.6",
                    "message": "Tag python:3.6 set to import quay.io/py:3.6.0 periodically.",
                },
                {
                    "destination": "web/python:3.6",
                    "message": "Tag web/python:3.6 set to quay.io/py:3.6.0 periodically.",
                },
            ]
        },
    )
    result = isctl(
        "tag", "quay.io/py:3.6.0", "python:3.6", "web/python:3.6", "--scheduled", "--insecure",
        "--reference-policy=Local", "--import-mode=preserveoriginal", transport=api.transport,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == (
        "Tag python:3.6 set to import quay.io/py:3.6.0 periodically.\n"
        "Tag web/python:3.6 set to quay.io/py:3.6.0 periodically.\n"
    )
    assert api.body("POST", "projects/team/tag") == {
        "source": "quay.io/py:3.6.0",
        "source_kind": "docker",
        "destinations": ["python:3.6", "web/python:3.6"],
        "alias": False,
        "reference": False,
        "scheduled": True,
        "insecure": True,
        "reference_policy": "local",
        "import_mode": "PreserveOriginal",
    }


def test_an_alias_within_the_stream_is_sent(isctl):
    api = FakeApi().on(
        "POST",
        "projects/team/tag",
        {
            "results": [
                {
                    "destination": "team/python:latest",
                    "message": "Tag python:latest set up to track python:3.5.",
                }
            ]
        },
    )
    result = isctl("tag", "--alias", "team/python:3.5", "python:latest", transport=api.transport)
    assert result.out == "Tag python:latest set up to track python:3.5.\n"
    assert api.body("POST", "projects/team/tag")["alias"] is True


def test_server_errors_are_shown_as_they_are(isctl):
    api = FakeApi().on(
        "POST",
        "projects/team/tag",
        error(409, 'multiple images match the prefix "ab": sha256:ab1, sha256:ab2', "conflict"),
    )
    result = isctl("tag", "python@ab", "python:x", transport=api.transport)
    assert (result.code, result.out) == (1, "")
    assert result.err == 'error: multiple images match the prefix "ab": sha256:ab1, sha256:ab2\n'


def test_delete_sends_the_destinations(isctl):
    api = FakeApi().on(
        "POST", "projects/team/untag", {"messages": ["Deleted tag team/python:3.5."]}
    )
    result = isctl("tag", "-d", "python:3.5", transport=api.transport)
    assert result.out == "Deleted tag team/python:3.5.\n"
    assert api.body("POST", "projects/team/untag") == {"destinations": ["python:3.5"]}


def test_json_output_is_the_api_answer(isctl):
    answer = {"results": [{"destination": "team/a:1", "message": "Tag a:1 set to b@sha256:1."}]}
    api = FakeApi().on("POST", "projects/team/tag", answer)
    result = isctl("tag", "b@sha256:1", "a:1", "-o", "json", transport=api.transport)
    import json

    assert json.loads(result.out) == answer


def test_flags_may_come_between_source_and_destinations(isctl):
    api = FakeApi().on("POST", "projects/team/tag", {"results": []})
    assert isctl("tag", "python:3.5", "--alias", "python:latest", transport=api.transport).code == 0
    body = api.body("POST", "projects/team/tag")
    assert (body["source"], body["destinations"], body["alias"]) == (
        "python:3.5",
        ["python:latest"],
        True,
    )
    result = isctl("tag", "python:3.5", "python:latest", "--frobnicate", transport=api.transport)
    assert (result.code, result.err.splitlines()[0]) == (
        2,
        "error: unrecognized arguments: --frobnicate",
    )
