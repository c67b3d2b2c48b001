"""Resolve and describe answered from the shared cache: the database's answer
recorded under the stream's version, read again without a statement, `304`
for its ETag, and never to someone who may no longer view the stream, from
the moment the membership, share, stream or project is gone."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from imagestreams.access import acting
from imagestreams.api import stream_reads
from imagestreams.models import ImageStream, Project
from imagestreams.services.teams import share_grant
from tests.api.conftest import url
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db

DESCRIBE = url("projects/team/imagestreams/app")
RESOLVE = url("resolve/team/app:1")
# Statements of a read from the database, the caller's token already checked.
UNCACHED = {DESCRIBE: 3, RESOLVE: 1}


@pytest.fixture
def app(team, cache_kind):
    """team/app:1 with two images in its history, and an alias of it."""
    stream = StreamFactory(project=team, name="app", annotations={"owner": "ops"})
    tag = TagFactory(stream=stream, name="1", from_name="quay.io/example/app:1")
    TagEventFactory(tag=tag, generation=1, image=ImageFactory())
    TagEventFactory(tag=tag, generation=2, image=ImageFactory())
    TagFactory(stream=stream, name="2", from_name="quay.io/example/app:2")
    return stream


def warm(client, path: str, cache_kind: str, django_assert_num_queries):
    """Read `path` twice: the second answer comes from the cache (no statement)
    with a shared cache, from the database without one; both the same."""
    first = client.get(path)
    assert first.status_code == 200, first.content
    with django_assert_num_queries(0 if cache_kind == "redis" else UNCACHED[path]):
        again = client.get(path)
    assert (again.status_code, again.content, again["ETag"]) == (200, first.content, first["ETag"])
    return first


@pytest.mark.parametrize("path", [DESCRIBE, RESOLVE])
def test_an_answer_is_recorded_and_polled_with_its_etag(
    viewer_api, app, path, cache_kind, django_assert_num_queries
):
    viewer_api.get(url("whoami"))  # the token is checked (and its use recorded)
    first = viewer_api.get(path)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/json"
    with django_assert_num_queries(0 if cache_kind == "redis" else UNCACHED[path]):
        again = viewer_api.get(path)
    assert (again.content, again["ETag"]) == (first.content, first["ETag"])
    polled = viewer_api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (polled.status_code, polled.content, polled["ETag"]) == (304, b"", first["ETag"])
    other = viewer_api.get(path, HTTP_IF_NONE_MATCH='"something-else"')
    assert (other.status_code, other.content) == (200, first.content)


def test_an_uncached_description_reads_three_statements(viewer_api, app, django_assert_num_queries):
    viewer_api.get(url("whoami"))  # the token is checked (and its use recorded)
    # The stream with the caller's access, its tags, their history.
    with django_assert_num_queries(3):
        described = viewer_api.get(DESCRIBE).json()
    assert [tag["name"] for tag in described["tags"]] == ["1", "2"]
    assert len(described["tags"][0]["items"]) == 2


def test_a_large_answer_is_recorded_for_304s_only(
    viewer_api, app, cache_kind, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(stream_reads, "RECORDED_BODY_MAX", 100)
    first = viewer_api.get(DESCRIBE)
    assert len(first.content) > 100
    with django_assert_num_queries(UNCACHED[DESCRIBE]):
        assert viewer_api.get(DESCRIBE).content == first.content
    with django_assert_num_queries(0 if cache_kind == "redis" else UNCACHED[DESCRIBE]):
        assert viewer_api.get(DESCRIBE, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_each_representation_has_its_own_record(viewer_api, app, cache_kind):
    plain = viewer_api.get(DESCRIBE)
    indented = viewer_api.get(DESCRIBE, HTTP_ACCEPT="application/json; indent=2")
    assert indented.json() == plain.json()
    assert indented.content != plain.content
    assert indented["ETag"] != plain["ETag"]
    assert viewer_api.get(DESCRIBE).content == plain.content
    page = viewer_api.get(DESCRIBE, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")


def _remove_member(admin_api, **_):
    assert admin_api.delete(url("projects/team/members/viewer")).status_code == 204


def _delete_user(personas, **_):
    personas["viewer"].delete()  # an operator, in the admin: memberships go with it


def _delete_stream(editor_api, **_):
    assert editor_api.delete(DESCRIBE).status_code == 204


def _delete_project(**_):
    Project.objects.get(name="team").delete()  # an operator, in the admin


@pytest.mark.parametrize("removal", [_remove_member, _delete_user, _delete_stream, _delete_project])
@pytest.mark.parametrize("path", [DESCRIBE, RESOLVE])
def test_a_removal_takes_effect_at_once(
    api_as,
    personas,
    app,
    path,
    removal,
    cache_kind,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    viewer_api = api_as("viewer")
    first = warm(viewer_api, path, cache_kind, django_assert_num_queries)
    with django_capture_on_commit_callbacks(execute=True):
        removal(admin_api=api_as("admin"), editor_api=api_as("editor"), personas=personas)
    # A deleted user's token is still trusted for AUTH_CACHE_SECONDS (as any
    # token), but not their view of the stream.
    assert viewer_api.get(path).status_code in (401, 404)
    assert viewer_api.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code in (401, 404)


@pytest.mark.parametrize("path", [DESCRIBE, RESOLVE])
def test_a_revoked_share_takes_effect_at_once(
    admin_api,
    outsider_api,
    personas,
    team,
    app,
    path,
    cache_kind,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    share = share_grant(
        by=acting(personas["admin"], "api"), project=team, stream_name="app", target_user="outsider"
    )
    first = warm(outsider_api, path, cache_kind, django_assert_num_queries)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api.delete(url(f"projects/team/shares/{share.pk}")).status_code == 204
    assert outsider_api.get(path).status_code == 404
    assert outsider_api.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404


def test_a_stream_deleted_and_made_again_is_read_afresh(
    viewer_api, app, team, cache_kind, django_assert_num_queries, django_capture_on_commit_callbacks
):
    warm(viewer_api, DESCRIBE, cache_kind, django_assert_num_queries)
    with django_capture_on_commit_callbacks(execute=True):
        ImageStream.objects.get(pk=app.pk).delete()  # an operator, in the admin
    again = StreamFactory(project=team, name="app")
    TagFactory(stream=again, name="other")
    described = viewer_api.get(DESCRIBE).json()
    assert [tag["name"] for tag in described["tags"]] == ["other"]


def test_outsiders_get_no_recorded_answer(
    viewer_api, outsider_api, anonymous_api, app, cache_kind, django_assert_num_queries
):
    for path in (DESCRIBE, RESOLVE):
        etag = warm(viewer_api, path, cache_kind, django_assert_num_queries)["ETag"]
        assert outsider_api.get(path).status_code == 404
        assert outsider_api.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 404
        assert anonymous_api.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.parametrize("path", [DESCRIBE, RESOLVE])
def test_token_and_session_callers_get_the_same_bytes_and_headers(
    viewer_api, personas, app, path, cache_kind
):
    # A token asking for JSON is answered before DRF's request is built (from
    # the second read on); a signed-in browser goes through DRF every time.
    recorded = viewer_api.get(path)
    again = viewer_api.get(path)
    assert (again.content, _headers(again)) == (recorded.content, _headers(recorded))
    browser = APIClient()
    browser.force_login(personas["viewer"])
    seen = browser.get(path)
    assert (seen.content, _headers(seen, "Vary")) == (recorded.content, _headers(recorded, "Vary"))
    polled = viewer_api.get(path, HTTP_IF_NONE_MATCH=recorded["ETag"])
    polled_in_browser = browser.get(path, HTTP_IF_NONE_MATCH=recorded["ETag"])
    assert (polled.status_code, polled_in_browser.status_code) == (304, 304)
    assert _headers(polled, "Vary") == _headers(polled_in_browser, "Vary")
    assert polled["Vary"] == recorded["Vary"]


def _headers(response, *but: str) -> dict[str, str]:
    names = [n for n in ("Content-Type", "ETag", "Allow", "Vary") if n not in but]
    return {name: response.get(name, "") for name in names}


def test_a_revoked_token_gets_no_recorded_answer(editor_api, app, cache_kind):
    created = editor_api.post(url("tokens"), {"name": "pipeline"}).json()
    pipeline = APIClient()
    pipeline.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    for path in (DESCRIBE, RESOLVE):
        assert pipeline.get(path).status_code == 200
        assert pipeline.get(path).status_code == 200
    assert editor_api.delete(url(f"tokens/{created['id']}")).status_code == 204
    for path in (DESCRIBE, RESOLVE):
        refused = pipeline.get(path)
        assert refused.status_code == 401
        assert "was revoked" in refused.json()["detail"]
