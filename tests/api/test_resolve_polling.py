"""Pipelines poll resolve: a few queries when the tag is read, none when the
client's ETag still names the answer (304), a new ETag as soon as the tag
moves, and nothing for those who may not see the stream."""

from __future__ import annotations

import uuid

import pytest

from imagestreams.models import Share
from imagestreams.services.projects import membership_set
from tests.api.conftest import url
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(team, cache_kind):
    """team/app-<random>:1 with two images in its history (names differ per
    test, so that no version of an earlier test's stream is in the cache)."""
    stream = StreamFactory(project=team, name=f"app-{uuid.uuid4().hex[:8]}")
    tag = TagFactory(stream=stream, name="1", from_name="quay.io/example/app:1")
    TagEventFactory(tag=tag, generation=1, image=ImageFactory())
    TagEventFactory(tag=tag, generation=2, image=ImageFactory())
    return tag


def resolve_url(tag) -> str:
    return url(f"resolve/team/{tag.stream.name}:{tag.name}")


def test_an_unchanged_tag_answers_304_with_the_same_etag(viewer_api, app):
    first = viewer_api.get(resolve_url(app))
    assert first.status_code == 200
    etag = first["ETag"]
    again = viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert not again.content
    other = viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200
    assert other.json() == first.json()


def test_a_moved_tag_changes_the_etag(
    viewer_api, editor_api, app, django_capture_on_commit_callbacks
):
    first = viewer_api.get(resolve_url(app))
    # Polled once: the answer is recorded under the stream's current version.
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        moved = editor_api.post(
            url(f"projects/team/imagestreamtags/{app.stream.name}:1/rollback"), {}
        )
    assert moved.status_code == 200
    after = viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert after.json()["digest"] != first.json()["digest"]
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_a_deleted_tag_is_not_modified_no_more(
    viewer_api, editor_api, app, django_capture_on_commit_callbacks
):
    first = viewer_api.get(resolve_url(app))
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        deleted = editor_api.post(
            url("projects/team/untag"), {"destinations": [f"{app.stream.name}:1"]}, format="json"
        )
    assert deleted.status_code == 200, deleted.content
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404


def test_a_304_reveals_nothing_to_those_who_may_not_view(
    viewer_api, outsider_api, anonymous_api, app
):
    etag = viewer_api.get(resolve_url(app))["ETag"]
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert outsider_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert outsider_api.get(resolve_url(app), HTTP_IF_NONE_MATCH="*").status_code == 404
    assert anonymous_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag).status_code == 401


def test_a_removed_member_gets_404_at_once(
    viewer_api, admin_api, app, django_capture_on_commit_callbacks
):
    etag = viewer_api.get(resolve_url(app))["ETag"]
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api.delete(url("projects/team/members/viewer")).status_code == 204
    assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert viewer_api.get(resolve_url(app)).status_code == 404


def test_resolve_reads_at_most_two_statements(
    viewer_api, app, cache_kind, django_assert_max_num_queries, django_assert_num_queries
):
    viewer_api.get(url("whoami"))  # the token is checked (and its use recorded)
    with django_assert_num_queries(1):
        etag = viewer_api.get(resolve_url(app))["ETag"]
    # Read and recorded once; then, with a shared cache, no query until
    # something changes, for a plain read as for a poll.
    recorded = 0 if cache_kind == "redis" else 1
    with django_assert_num_queries(recorded):
        assert viewer_api.get(resolve_url(app)).status_code == 200
    with django_assert_num_queries(recorded):
        assert viewer_api.get(resolve_url(app), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_token_read_each_time_and_a_share_still_cost_two_statements(
    personas, app, api_as, settings, django_assert_num_queries
):
    settings.AUTH_CACHE_SECONDS = 0
    other = StreamFactory(project__name="elsewhere").project
    Share.objects.create(project=app.stream.project, stream=app.stream, target_project=other)
    membership_set(project=other, user=personas["outsider"], role="viewer")
    client = api_as("outsider")
    client.get(url("whoami"))  # its use is recorded, once a minute
    with django_assert_num_queries(2):  # the token, the tag
        response = client.get(resolve_url(app))
    assert response.status_code == 200
