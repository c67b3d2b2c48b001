"""One error format, the right status, and never a 500 for bad input."""

from __future__ import annotations

import pytest

from tests.api.conftest import url
from tests.factories import ImageFactory, TagEventFactory

pytestmark = pytest.mark.django_db


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"detail", "code", "field"}
    assert body["detail"]
    return body


def test_malformed_json_is_400(editor_api, python):
    response = editor_api.post(
        url("projects/team/untag"), "{not json", content_type="application/json"
    )
    body = error(response, 400)
    assert body["code"] == "invalid"
    assert "JSON parse error" in body["detail"]


def test_a_body_that_is_not_an_object_is_400(editor_api, python):
    body = error(editor_api.post(url("projects/team/untag"), ["python:3.6"]), 400)
    assert "Expected a dictionary" in body["detail"]


def test_unknown_fields_are_refused(editor_api, python):
    response = editor_api.post(
        url("projects/team/tag"),
        {"source": "python:3.6", "destinations": ["python:x"], "scheduld": True},
    )
    body = error(response, 400)
    assert body["field"] == "scheduld"
    assert body["detail"].startswith("scheduld: unknown field (known fields: alias, ")


def test_missing_fields_name_the_field(editor_api, team):
    body = error(editor_api.post(url("projects/team/imagestreams"), {}), 400)
    assert body == {"detail": "name: This field is required.", "code": "invalid", "field": "name"}


def test_an_error_inside_a_list_names_its_position(editor_api, python):
    response = editor_api.post(url("projects/team/untag"), {"destinations": ["ok:1", ["x"]]})
    assert error(response, 400)["field"] == "destinations.1"


def test_form_data_is_415(editor_api, team):
    response = editor_api.post(
        url("projects/team/imagestreams"), "name=x", content_type="text/plain"
    )
    assert error(response, 415)["code"] == "unsupported_media_type"


def test_an_unsupported_method_is_405(editor_api, python):
    response = editor_api.put(url("projects/team/imagestreams/python"), {})
    assert error(response, 405)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("istag", "message"),
    [
        ("python", "must be of the form <stream>:<tag>"),
        ("python:", "must be of the form <stream>:<tag>"),
        (":3.6", "must be of the form <stream>:<tag>"),
        ("Python:3.6", 'invalid image stream name "Python"'),
        ("python:-x", 'invalid tag "-x" format'),
        ("python:" + "x" * 200, "maximum of 128 characters"),
        ("python:caf%C3%A9", 'invalid tag "café" format'),
        ("py%00thon:3.6", "invalid image stream name"),
    ],
)
def test_malformed_istag_names_are_400(viewer_api, python, istag, message):
    body = error(viewer_api.get(url(f"projects/team/imagestreamtags/{istag}")), 400)
    assert message in body["detail"]
    assert body["field"] == "istag"


@pytest.mark.parametrize("isimage", ["python", "python@", "python@xyz", "python@sha512:ab"])
def test_malformed_isimage_names_are_400(viewer_api, python, isimage):
    body = error(viewer_api.get(url(f"projects/team/imagestreamimages/{isimage}")), 400)
    assert body["field"] == "isimage"


@pytest.mark.parametrize(
    "body",
    [
        {"steps": 10**30},
        {"steps": -1},
        {"steps": 1.5},
        {"steps": "1e400"},
        {"to": "a" * 500},
    ],
)
def test_absurd_numbers_and_sizes_are_400(editor_api, python, body):
    response = editor_api.post(url("projects/team/imagestreamtags/python:3.6/rollback"), body)
    assert error(response, 400)["field"] in body


def test_nul_characters_are_400(editor_api, team):
    for response in (
        editor_api.post(url("projects/team/imagestreams"), {"name": "a\x00b"}),
        editor_api.post(
            url("projects/team/imagestreams"), {"name": "ok", "annotations": {"k\x00": "v"}}
        ),
        editor_api.get(url("projects/team/imagestreams?search=a%00b")),
        editor_api.post(url("projects/team/imports"), {"target": "a\x00:1"}),
    ):
        error(response, 400)


def test_annotations_must_be_strings(editor_api, team):
    response = editor_api.post(
        url("projects/team/imagestreams"), {"name": "ok", "annotations": {"k": {"nested": 1}}}
    )
    assert error(response, 400)["field"] == "annotations.k"


def test_an_unknown_page_is_404(viewer_api, python):
    for page in ("2", "0", "abc", str(10**30)):
        error(viewer_api.get(url(f"projects/team/imagestreams?page={page}")), 404)


def test_what_does_not_exist_is_404(viewer_api, python):
    assert (
        "not found" in error(viewer_api.get(url("projects/team/imagestreams/ruby")), 404)["detail"]
    )
    body = error(viewer_api.get(url("projects/team/imagestreamtags/python:9")), 404)
    assert body["detail"] == 'image stream tag "python:9" not found'
    body = error(viewer_api.get(url("projects/nope/imagestreams")), 404)
    assert body == {"detail": 'project "nope" not found', "code": "not_found", "field": "project"}
    # Names no project can have are not found, as oc says.
    body = error(viewer_api.get(url("projects/Not_A_Name/imagestreams")), 404)
    assert body["detail"] == 'project "Not_A_Name" not found'
    error(viewer_api.get(url("projects/team/imagestreams/")), 404)


def test_a_stream_name_no_stream_can_have_is_not_found_as_oc_says(viewer_api, outsider_api, python):
    body = error(viewer_api.get(url("projects/team/imagestreams/NOPE")), 404)
    assert body == {
        "detail": 'image stream "NOPE" not found',
        "code": "not_found",
        "field": "stream",
    }
    for method in ("patch", "delete"):
        error(getattr(viewer_api, method)(url("projects/team/imagestreams/NOPE")), 403)
    body = error(outsider_api.get(url("projects/team/imagestreams/NOPE")), 404)
    assert body["detail"] == 'image stream "team/NOPE" not found'


def test_outsiders_cannot_tell_a_project_exists(outsider_api, python):
    existing = error(outsider_api.get(url("projects/team/imagestreams")), 404)
    missing = error(outsider_api.get(url("projects/nope/imagestreams")), 404)
    assert existing["detail"].replace("team", "X") == missing["detail"].replace("nope", "X")


def test_a_role_too_low_is_403(viewer_api, python):
    body = error(viewer_api.delete(url("projects/team/imagestreams/python")), 403)
    assert body == {
        "detail": 'you may not edit in project "team" (your role there is viewer)',
        "code": "forbidden",
        "field": "project",
    }


def test_an_ambiguous_digest_prefix_is_409(viewer_api, python):
    other = ImageFactory(digest="sha256:" + "b" * 10 + "c" * 54)
    TagEventFactory(tag__stream=python.stream, tag__name="other", image=other)
    body = error(viewer_api.get(url("projects/team/imagestreamimages/python@bbbb")), 409)
    assert body["code"] == "conflict"
    assert "multiple images match the prefix" in body["detail"]
    unique = viewer_api.get(url("projects/team/imagestreamimages/python@bbbbbbbbbbc"))
    assert unique.json()["image"]["digest"] == other.digest


def test_a_stale_generation_is_409(editor_api, python):
    stream_url = url("projects/team/imagestreams/python")
    generation = editor_api.get(stream_url).json()["generation"]
    first = editor_api.patch(stream_url, {"lookup_local": True, "generation": generation})
    assert first.status_code == 200
    assert first.json()["generation"] == generation + 1
    second = editor_api.patch(stream_url, {"annotations": {"a": "b"}, "generation": generation})
    body = error(second, 409)
    assert body["field"] == "generation"
    assert "was changed meanwhile" in body["detail"]
    assert editor_api.get(stream_url).json()["annotations"] == {}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("projects/team/untag", "[" * 100_000 + "]" * 100_000, 400),
        ("projects/team/imports", '{"target": "x:1", "confirm": 5}', 400),
        ("projects/team/imports", '{"target": "python:3.6", "import_mode": "bogus"}', 400),
        ("projects/team/imports", '{"target": "python@sha256:' + "a" * 64 + '"}', 400),
        ("projects/team/imports", '{"target": "UPPER:1"}', 400),
        ("projects/team/imports", '{"target": "x:1", "from": "\\ud800"}', 400),
        ("projects/team/tag", '{"source": "python:3.6", "destinations": ["x/y/z:b"]}', 400),
        ("projects/team/tag", '{"source": "python:3.6", "destinations": ["nope/z:b"]}', 404),
        ("projects/team/tag", '{"source": "python:3.6", "destinations": ["Bad:b"]}', 400),
        ("projects/team/tag", '{"source": "nosuch:1", "destinations": ["a:b"]}', 404),
        ("projects/team/tag", '{"source": "python@zz", "destinations": ["a:b"]}', 400),
        ("projects/team/tag", '{"source": "http://x", "destinations": ["a:b"]}', 400),
        (
            "projects/team/tag",
            '{"source": "python:3.6", "destinations": ["a:b"], "source_kind": "x"}',
            400,
        ),
        ("projects/team/imagestreamtags/python:nope/rollback", "{}", 404),
        ("projects/team/imagestreams", '{"name": "' + "a" * 300 + '"}', 400),
        ("projects", '{"name": "ok", "display_name": null}', 400),
        ("tokens", '{"name": "x\\u0000y"}', 400),
    ],
)
def test_bad_input_never_breaks_the_server(editor_api, python, path, body, status):
    response = editor_api.post(url(path), body, content_type="application/json")
    error(response, status)


@pytest.mark.parametrize(
    "path",
    [
        "projects/team/imagestreamtags?stream=%00",
        "projects/team/imagestreamtags?page_size=-1&page=-1",
        "projects/team/imagestreamimages/python@" + "a" * 65,
        "projects/team/imagestreamtags/python:3.6:7",
        "projects/team/imagestreamtags/a@b:c",
        "resolve/team/nope:1",
    ],
)
def test_bad_urls_never_break_the_server(viewer_api, python, path):
    assert 400 <= viewer_api.get(url(path)).status_code < 500
