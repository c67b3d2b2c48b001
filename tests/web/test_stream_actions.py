"""The stream page's summary and its actions on the whole stream (import all,
delete), following the upstream again after a pin, and the page plumbing that
every page shares (favicon, polling without eval)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imagestreams.access import acting, acting_system
from imagestreams.models import ImageStream, Share, Tag
from imagestreams.models.streams import SourceKind
from imagestreams.services.rollback import tag_rollback
from tests.factories import StreamFactory, TagEventFactory, TagFactory
from tests.web.conftest import HTMX, page_text, text_of
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db

STREAM = "/p/team/is/python/"
TEMPLATES = Path(__file__).resolve().parents[2]


@pytest.fixture
def stream(project):
    return StreamFactory(project=project, name="python")


@pytest.fixture
def scheduled(stream):
    """3.6 follows quay.io/py/python:3.6 on a schedule and has two images."""
    tag = TagFactory(stream=stream, name="3.6", from_name="quay.io/py/python:3.6", scheduled=True)
    TagEventFactory(tag=tag)
    TagEventFactory(tag=tag)
    TagFactory(stream=stream, name="dev", from_kind=SourceKind.IMAGE_STREAM_TAG,
               from_name="python:3.6", from_namespace="team")  # fmt: skip
    return tag


def test_the_summary_counts_tags_and_images_and_names_shares_and_triggers(
    alice, project, scheduled, settings
):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.example.com"
    other = project.__class__.objects.create(name="team-b")
    Share.objects.create(project=project, stream=scheduled.stream, target_project=other)
    trigger_create(
        project=project,
        name="deploy",
        stream="python",
        url="https://x.example.com/",
        by=acting_system(),
    )
    html = page_text(alice.get(STREAM))
    assert "registry.example.com/team/python" in html
    assert "2 tags · 1 unique image" in text_of(html)
    assert "project team-b" in text_of(html)
    assert "Triggers 1 (deploy) · Manage triggers" in text_of(html)
    assert 'href="/p/team/triggers/"' in html


def test_viewers_see_no_triggers_and_no_stream_actions(vera, scheduled):
    html = page_text(vera.get(STREAM))
    assert "Triggers" not in text_of(html)
    assert "Import all now" not in html
    assert "Delete stream" not in html


def test_import_all_now_requests_every_external_tag(eddie, scheduled):
    before = Tag.objects.get(pk=scheduled.pk).generation
    response = eddie.post(f"{STREAM}import", headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<section id="tag-table"')
    assert "Import of 1 tag requested." in html
    assert "importing" in html and 'hx-trigger="every 2s, poll-resume from:body"' in html
    tag = Tag.objects.get(pk=scheduled.pk)
    assert tag.generation > before
    assert tag.import_requested_by == "eddie"


def test_a_stream_is_deleted_after_confirmation(eddie, scheduled):
    confirm = page_text(eddie.get(f"{STREAM}delete"))
    assert "Delete image stream python?" in confirm
    assert "its 2 tags" in confirm
    assert ImageStream.objects.filter(name="python").exists()
    response = eddie.post(f"{STREAM}delete")
    assert (response.status_code, response["Location"]) == (302, "/p/team/")
    assert not ImageStream.objects.filter(name="python").exists()
    assert not Tag.objects.filter(name="3.6").exists()


def test_htmx_deletes_with_a_client_redirect(eddie, scheduled):
    response = eddie.post(f"{STREAM}delete", headers=HTMX)
    assert response["HX-Redirect"] == "/p/team/"


def test_following_upstream_again_undoes_a_rollback(eddie, people, scheduled):
    tag_rollback(tag=scheduled, by=acting(people["alice"], "web"))
    row = page_text(eddie.get(STREAM))
    assert "pinned" in row and "Follow upstream" in row
    page = page_text(eddie.get(f"{STREAM}tags/3.6/"))
    assert "it followed quay.io/py/python:3.6 (scheduled)" in text_of(page)
    assert "isctl unpin python:3.6" in page

    response = eddie.post(f"{STREAM}tags/3.6/follow", headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<tbody id="tag-3.6"')
    assert '(<a href="/p/team/is/python/tags/dev/"' in html  # the alias, linked from the row
    assert "follows quay.io/py/python:3.6 again; an import was requested" in html
    tag = Tag.objects.get(pk=scheduled.pk)
    assert (tag.from_kind, tag.from_name, tag.scheduled) == (
        SourceKind.DOCKER_IMAGE,
        "quay.io/py/python:3.6",
        True,
    )
    assert tag.pinned_from == {}
    assert tag.import_requested_by == "eddie"
    assert "Follow upstream" not in text_of(html)


def test_from_the_tag_page_following_upstream_returns_there(eddie, people, scheduled):
    tag_rollback(tag=scheduled, by=acting(people["alice"], "web"))
    response = eddie.post(f"{STREAM}tags/3.6/follow", {"next": "tag"})
    assert response["Location"] == f"{STREAM}tags/3.6/"


def test_a_tag_that_is_not_pinned_says_so(eddie, scheduled):
    response = eddie.post(f"{STREAM}tags/3.6/follow", headers=HTMX)
    assert "is not pinned" in page_text(response)


@pytest.mark.parametrize(
    ("who", "status"), [("vera", 403), ("charlie", 404)], ids=["viewer", "outsider"]
)
@pytest.mark.parametrize("action", ["import", "delete", "tags/3.6/follow"])
def test_stream_actions_need_the_edit_right(as_user, people, scheduled, who, status, action):
    tag_rollback(tag=scheduled, by=acting(people["alice"], "web"))
    pinned = Tag.objects.get(pk=scheduled.pk)
    client = as_user(who)
    assert client.post(f"{STREAM}{action}").status_code == status
    if action == "delete":
        assert client.get(f"{STREAM}delete").status_code == status
    assert ImageStream.objects.filter(name="python").exists()
    after = Tag.objects.get(pk=scheduled.pk)
    assert (after.generation, after.pinned_from) == (pinned.generation, pinned.pinned_from)


def test_the_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"


def test_no_polling_filter_needs_eval():
    """htmx compiles `[...]` trigger filters with Function(), which the CSP
    (no unsafe-eval) blocks: pages pause polling with static/js/app.js."""
    templates = [*TEMPLATES.glob("templates/**/*.html"), *TEMPLATES.glob("triggers/**/*.html")]
    for template in templates:
        for trigger in re.findall(r'hx-trigger="([^"]*)"', template.read_text()):
            assert "[" not in trigger, f"{template}: {trigger}"
