"""describe, get, history and rollback against a scripted API; errors of
the network and of the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from imagestreams.cli.config import Config
from tests.cli import answers
from tests.cli.answers import page
from tests.cli.fakes import SERVER, FakeApi, error

DIGEST = "sha256:" + "5e" * 32
OLD = "sha256:" + "0a" * 32


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def image(digest=DIGEST) -> dict:
    return answers.image(digest, imported=ago(minutes=5), created=ago(days=3))


def named_tag(name, items, spec=None) -> dict:
    return answers.named_tag(name, items, spec)


def item(digest, **age) -> dict:
    return answers.tag_event(digest, created=ago(**age))


def stream(name="python", tags=None) -> dict:
    if tags is None:
        tags = [
            named_tag("3.5", [item(DIGEST, minutes=5), item(OLD, hours=5)]),
            named_tag("latest", [item(OLD, hours=2)]),
        ]
    return answers.stream(name, tags, created=ago(hours=6))


def test_describe_is_istag_and_isimage(isctl):
    istag = answers.istag(
        "python:latest",
        image(),
        spec=answers.spec("quay.io/py:latest", annotations={"description": "Python"}),
    )
    isimage = {"name": f"python@{DIGEST}", "created": ago(hours=1), "image": image()}
    api = FakeApi().on("GET", "projects/team/imagestreams/python", stream())
    api.on("GET", "projects/team/imagestreamtags/python:latest", istag)
    api.on("GET", f"projects/team/imagestreamimages/python@{DIGEST[:19]}", isimage)
    result = isctl("describe", "is/python", transport=api.transport)
    assert result.out.startswith("Name:\t\t\tpython\nNamespace:\t\tteam\nCreated:\t\t6 hours ago\n")
    assert "Unique Images:\t\t2\nTags:\t\t\t2\n\nlatest\n  no spec tag\n" in result.out
    result = isctl("describe", "istag", "python", transport=api.transport)  # :latest implied
    assert result.out.startswith(f"Image Name:\t{DIGEST}\nDocker Image:\tquay.io/py@{DIGEST}\n")
    assert "Created:\t5 minutes ago\nDescription:\tPython\nAnnotations:\t<none>\n" in result.out
    result = isctl("describe", f"isimage/python@{DIGEST[:19]}", transport=api.transport)
    assert f"Name:\t\t{DIGEST}\n" in result.out
    assert "Image Created:\t3 days ago\n" in result.out


def test_describe_without_a_name_describes_every_stream(isctl):
    api = FakeApi().on("GET", "projects/team/imagestreams", page([stream(), stream("ruby", [])]))
    api.on("GET", "projects/team/imagestreams/python", stream())
    api.on("GET", "projects/team/imagestreams/ruby", stream("ruby", []))
    result = isctl("describe", "is", transport=api.transport)
    assert "\n\nName:\t\t\truby\n" in result.out
    assert result.out.endswith("Tags:\t\t\t<none>\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["describe", "pods/x"], 'the server doesn\'t have a resource type "pods"'),
        (
            ["describe", "istag/python@sha256:1"],
            "is an image stream image, not an image stream tag",
        ),
        (["describe", "isimage/python"], "must be of the form <stream>@<digest or digest prefix>"),
        (["describe", "istag"], "give the name to describe, as istag/NAME:TAG"),
        (["get"], "the following arguments are required: RESOURCE"),
        (["get", "is", "-o", "table"], "argument -o/--output: invalid choice: 'table'"),
        (["rollback", "python:1", "--to", "sha256:1", "--steps", "2"], "not allowed with argument"),
        (["rollback", "python:1", "--steps", "0"], "--steps must be a positive number"),
        (["history", "python"], '"python" must be of the form <stream_name>:<tag>'),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        (["get", "is", "--request-timeout", "soon"], "invalid duration 'soon'"),
    ],
)
def test_usage_errors_exit_2_with_a_pointer_to_help(isctl, argv, message):
    api = FakeApi()
    result = isctl(*argv, transport=api.transport)
    assert result.code == 2
    assert result.err.startswith("error: ")
    assert message in result.err
    assert api.requests == []


def test_help_has_examples_for_every_command(isctl):
    for command in [
        "login", "logout", "whoami", "project", "projects", "new-project", "import-image",
        "tag", "describe", "get", "history", "rollback",
    ]:  # fmt: skip
        result = isctl(command, "--help")
        assert result.code == 0
        assert "\nexamples:\n  " in result.out, command
        assert f"isctl {command}" in result.out.split("examples:", 1)[1], command


def test_get_is_prints_ocs_columns(isctl):
    api = FakeApi().on("GET", "projects/team/imagestreams", page([stream()]))
    api.on("GET", "projects/team/sharedimagestreams", page([]))
    result = isctl("get", "is", transport=api.transport)
    assert result.out == (
        "NAME     IMAGE REPOSITORY   TAGS         UPDATED\n"
        "python                      3.5,latest   5 minutes ago\n"
    )


def test_get_is_lists_the_streams_shared_with_the_project_marked(isctl):
    shared = stream("base", [named_tag("1", [item(OLD, hours=2)])]) | {
        "project": "platform",
        "read_only": True,
    }
    api = FakeApi().on("GET", "projects/team/imagestreams", page([stream()]))
    api.on("GET", "projects/team/sharedimagestreams", page([shared]))
    result = isctl("get", "is", transport=api.transport)
    assert result.out == (
        "NAME            IMAGE REPOSITORY   TAGS         UPDATED         SHARED\n"
        "python                             3.5,latest   5 minutes ago\n"
        "platform/base                      1            2 hours ago     read-only\n"
    )
    names = isctl("get", "is", "-o", "name", transport=api.transport).out
    assert names == "imagestream/python\nimagestream/platform/base\n"
    listed = json.loads(isctl("get", "is", "-o", "json", transport=api.transport).out)
    assert [(s["project"], s["name"]) for s in listed["items"]] == [
        ("team", "python"),
        ("platform", "base"),
    ]
    assert listed["items"][1]["read_only"] is True


def test_get_is_follows_pages(isctl):
    second = f"{SERVER}/api/v1/projects/team/imagestreams?page=2"
    api = FakeApi().on(
        "GET",
        "projects/team/imagestreams",
        lambda request: httpx.Response(
            200,
            json=page([stream("ruby", [])]) | {"count": 2}
            if request.url.params.get("page") == "2"
            else page([stream()], next_url=second) | {"count": 2},
        ),
    )
    api.on("GET", "projects/team/sharedimagestreams", page([]))
    result = isctl("get", "is", "-o", "name", transport=api.transport)
    assert result.out == "imagestream/python\nimagestream/ruby\n"


def test_get_istag_wide_and_json(isctl):
    istag = answers.istag("python:3.5", image(), created=ago(minutes=5))
    api = FakeApi().on("GET", "projects/team/imagestreamtags", page([istag]))
    api.on("GET", "projects/team/imagestreamtags/python:3.5", istag)
    result = isctl("get", "istag", "-o", "wide", transport=api.transport)
    assert result.out.splitlines() == [
        f"NAME         {'IMAGE REFERENCE':82}   UPDATED         IMAGE NAME",
        f"python:3.5   quay.io/py@{DIGEST}   5 minutes ago   {DIGEST}",
    ]
    assert (
        json.loads(isctl("get", "istag", "python:3.5", "-o", "json", transport=api.transport).out)
        == istag
    )
    listed = yaml.safe_load(isctl("get", "istag", "-o", "yaml", transport=api.transport).out)
    assert listed == {"items": [istag]}


def test_get_istag_of_one_stream_filters(isctl):
    api = FakeApi().on("GET", "projects/team/imagestreamtags", page([]))
    result = isctl("get", "istag", "python", transport=api.transport)
    assert result.err == "No resources found in team project.\n"
    assert api.requests[0].url.params["stream"] == "python"


def test_get_isimage_lists_each_image_of_each_history(isctl):
    api = FakeApi().on("GET", "projects/team/imagestreams", page([stream()]))
    for digest in (DIGEST, OLD):
        api.on(
            "GET",
            f"projects/team/imagestreamimages/python@{digest}",
            {"name": f"python@{digest}", "created": ago(hours=1), "image": image(digest)},
        )
    result = isctl("get", "isimage", transport=api.transport)
    assert result.out.splitlines() == [
        f"{'NAME':78}   UPDATED",
        f"python@{OLD}   About an hour ago",
        f"python@{DIGEST}   About an hour ago",
    ]


def test_history_shows_steps_for_rollback(isctl):
    items = [
        item(DIGEST, minutes=5) | {"cause": "import", "actor": "alice"},
        item(OLD, hours=5) | {"cause": "scheduled", "actor": ""},
    ]
    api = FakeApi().on("GET", "projects/team/imagestreamtags/python:3.5/history", {"items": items})
    result = isctl("history", "python:3.5", transport=api.transport)
    assert result.out.splitlines() == [
        "STEP   IMAGE                 CAUSE       BY       UPDATED",
        "0      sha256:5e5e5e5e5e5e   import      alice    5 minutes ago",
        "1      sha256:0a0a0a0a0a0a   scheduled   <none>   5 hours ago",
    ]
    result = isctl("history", "other/python:3.5", "-o", "json", transport=api.transport)
    assert result.code == 1  # another project: another URL
    assert api.requests[-1].url.path == "/api/v1/projects/other/imagestreamtags/python:3.5/history"


def test_rollback_sends_the_target(isctl):
    message = f"Tag team/python:3.5 rolled back to {OLD}."
    api = FakeApi().on(
        "POST",
        "projects/team/imagestreamtags/python:3.5/rollback",
        {"message": message, "tag": answers.istag("python:3.5", image(OLD))},
    )
    assert isctl("rollback", "python:3.5", transport=api.transport).out == message + "\n"
    isctl("rollback", "python:3.5", "--steps", "2", transport=api.transport)
    isctl("rollback", "python:3.5", "--to", OLD[:19], transport=api.transport)
    bodies = [json.loads(r.content) for r in api.requests]
    assert bodies == [{}, {"steps": 2}, {"to": OLD[:19]}]


def test_a_server_that_cannot_be_reached_is_named(isctl):
    def refuse(request):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = isctl("get", "is", transport=httpx.MockTransport(refuse))
    assert result.code == 1
    assert result.err == (
        f"error: cannot reach the server {SERVER}: [Errno 111] Connection refused "
        "(is the address right, and is the service running?)\n"
    )


def test_a_timeout_says_how_to_wait_longer(isctl):
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    result = isctl("get", "is", "--request-timeout=2m", transport=httpx.MockTransport(slow))
    assert result.err == (
        f"error: the server {SERVER} did not answer within 120 seconds\n"
        "hint: wait longer with --request-timeout (e.g. --request-timeout=5m)\n"
    )


def test_an_expired_token_and_a_non_api_answer_are_explained(isctl):
    api = FakeApi().on(
        "GET", "projects/team/imagestreams", error(401, "token expired", "authentication_failed")
    )
    assert isctl("get", "is", transport=api.transport).err == "error: token expired\n"
    html = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>hi</html>"))
    result = isctl("get", "is", transport=html)
    assert "is not JSON: is --server the address of an Image Streams service?" in result.err
