"""A stream's page: its tags, their state, and the actions on them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.models import ImageManifest, Tag
from imagestreams.models.streams import EventCause, ReferencePolicy, SourceKind
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.web.conftest import HTMX, page_text, text_of

pytestmark = pytest.mark.django_db

STREAM = "/p/team/is/python/"
INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture
def stream(project):
    return StreamFactory(project=project, name="python")


@pytest.fixture
def tagged(stream):
    """3.6 imported from a registry, `latest` an alias of it, `stable` pinned to 3.6's image."""
    tag = TagFactory(stream=stream, name="3.6", from_name="quay.io/py/python:3.6")
    event = TagEventFactory(tag=tag)
    TagFactory(
        stream=stream,
        name="latest",
        from_kind=SourceKind.IMAGE_STREAM_TAG,
        from_name="python:3.6",
        from_namespace="team",
    )
    stable = TagFactory(
        stream=stream,
        name="stable",
        from_kind=SourceKind.IMAGE_STREAM_IMAGE,
        from_name=f"python@{event.image.digest}",
        from_namespace="team",
    )
    TagEventFactory(tag=stable, image=event.image, cause=EventCause.TAG)
    return tag


def _text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def row_of(html: str, tag: str) -> str:
    start = html.index(f'<tbody id="tag-{tag}"')
    return html[start : html.index("</tbody>", start)]


def test_aliases_are_folded_into_the_tag_they_follow(vera, tagged):
    html = vera.get(STREAM).content.decode()
    row = row_of(html, "3.6")
    assert '(<a href="/p/team/is/python/tags/latest/"' in row
    assert tagged.events.get().image.short_digest in row
    assert "linux/amd64" in row
    assert "tagged from quay.io/py/python:3.6" in text_of(row)
    assert 'id="tag-latest"' not in html
    # An exact image's digest is shortened, in full on hover and in the copy button.
    digest = tagged.events.get().image.digest
    stable = row_of(html, "stable")
    assert f"tagged from python@{digest[7:19]} Copy" in text_of(stable)
    assert f'title="python@{digest}"' in stable
    assert f'data-copy="python@{digest}"' in stable


def test_tags_are_in_openshift_priority_order(vera, stream):
    for name in ("alpha", "3.10", "3.9", "latest"):
        TagFactory(stream=stream, name=name)
    html = vera.get(STREAM).content.decode()
    positions = [html.index(f'id="tag-{name}"') for name in ("latest", "3.10", "3.9", "alpha")]
    assert positions == sorted(positions)


def test_an_index_shows_all_its_platforms(vera, stream):
    index = ImageFactory(media_type=INDEX, architecture="", os="")
    for position, arch in enumerate(["amd64", "arm64"]):
        ImageManifest.objects.create(
            parent=index,
            child=ImageFactory(architecture=arch),
            position=position,
            media_type="application/vnd.oci.image.manifest.v1+json",
            os="linux",
            architecture=arch,
        )
    TagEventFactory(tag=TagFactory(stream=stream, name="multi"), image=index)
    row = row_of(vera.get(STREAM).content.decode(), "multi")
    assert "linux/amd64" in row
    assert "linux/arm64" in row


def test_each_row_counts_its_history(vera, stream):
    three = TagFactory(stream=stream, name="three")
    for _ in range(3):
        TagEventFactory(tag=three)
    TagFactory(stream=stream, name="none")
    html = vera.get(STREAM).content.decode()
    assert "3 in history" in row_of(html, "three")
    assert "0 in history" in row_of(html, "none")


def test_ages_read_as_isctl_describe_prints_them(vera, stream):
    three_hours_ago = timezone.now() - timedelta(hours=3, minutes=10)
    TagEventFactory(tag=TagFactory(stream=stream, name="old"), created=three_hours_ago)
    TagEventFactory(tag=TagFactory(stream=stream, name="new"))
    html = vera.get(STREAM).content.decode()
    old = row_of(html, "old")
    assert "3 hours ago</time>" in old
    assert f'datetime="{timezone.localtime(three_hours_ago).isoformat()}"' in old
    assert "just now</time>" in row_of(html, "new")


def test_a_failed_import_shows_its_message_and_the_last_good_image(vera, tagged):
    Tag.objects.filter(pk=tagged.pk).update(
        condition_reason="Unauthorized",
        condition_message="authentication required",
        condition_generation=1,
    )
    row = row_of(vera.get(STREAM).content.decode(), "3.6")
    assert "import failed" in row
    assert "(Unauthorized) authentication required" in row
    assert tagged.events.get().image.short_digest in row
    assert "hx-trigger" not in row


def test_an_import_in_progress_polls_its_row_until_done(vera, tagged):
    Tag.objects.filter(pk=tagged.pk).update(generation=2)  # asked for, not imported yet
    row = row_of(vera.get(STREAM).content.decode(), "3.6")
    assert "importing" in row
    assert 'hx-get="/p/team/is/python/tags/3.6/row"' in row
    assert "every 2s" in row

    TagEventFactory(tag=tagged, generation=2)  # the worker finished
    response = vera.get("/p/team/is/python/tags/3.6/row", headers=HTMX)
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<tbody id="tag-3.6"')
    assert "hx-trigger" not in fragment
    assert "importing" not in fragment


def test_the_row_url_without_htmx_leads_to_the_stream_page(vera, tagged):
    response = vera.get("/p/team/is/python/tags/3.6/row")
    assert response.status_code == 302
    assert response["Location"] == "/p/team/is/python/#tag-3.6"


def test_the_htmx_tag_filter_returns_only_the_table(vera, tagged):
    response = vera.get(f"{STREAM}?q=stab", headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="tag-table"')
    assert 'id="tag-stable"' in html
    assert 'id="tag-3.6"' not in html


def test_an_empty_stream_tells_editors_how_to_add_a_tag(eddie, stream):
    html = page_text(eddie.get(STREAM))
    assert "No tags yet" in html
    assert "isctl tag python:SRC python:DEST" in html
    assert "isctl import-image python:TAG --from=IMAGE --confirm" in html


def test_viewers_see_tags_but_no_actions(vera, tagged):
    html = vera.get(STREAM).content.decode()
    assert 'id="tag-3.6"' in html
    assert "Import now" not in html
    assert "Add a tag" not in html
    assert "Delete tag" not in html


def test_outsiders_get_not_found(charlie, tagged):
    assert charlie.get(STREAM).status_code == 404
    assert charlie.get("/p/team/is/python/tags/3.6/row", headers=HTMX).status_code == 404
    assert charlie.get("/p/team/is/nothing/").status_code == 404


def test_an_editor_adds_an_alias(eddie, tagged):
    data = {"name": "current", "kind": "alias", "source": "3.6", **DEFAULTS}
    response = eddie.post("/p/team/is/python/tags/new", data, headers=HTMX)
    html = page_text(response)
    assert 'id="add-tag"' in html
    assert '<section id="tag-table" aria-label="Tags" hx-swap-oob="true">' in html
    assert "(latest, current)" in _text_of(row_of(html, "3.6"))
    assert "Tag python:current set up to track python:3.6." in html
    tag = Tag.objects.get(name="current")
    assert (tag.from_kind, tag.from_name) == (SourceKind.IMAGE_STREAM_TAG, "python:3.6")


DEFAULTS = {"reference_policy": "Source", "import_mode": "Legacy"}


def test_an_editor_pins_a_copy_of_another_tag(eddie, tagged):
    data = {"name": "prod", "kind": "istag", "source": "python:3.6", **DEFAULTS}
    eddie.post("/p/team/is/python/tags/new", data)
    prod = Tag.objects.get(name="prod")
    assert prod.from_kind == SourceKind.IMAGE_STREAM_IMAGE
    assert prod.events.get().image == tagged.events.get().image
    assert prod.events.get().actor == "eddie"


def test_an_editor_tags_an_exact_image_by_digest_prefix(eddie, tagged):
    prefix = tagged.events.get().image.digest[7:19]
    data = {"name": "exact", "kind": "isimage", "source": f"python@{prefix}", **DEFAULTS}
    response = eddie.post("/p/team/is/python/tags/new", data)
    assert response.status_code == 302
    assert Tag.objects.get(name="exact").events.get().image == tagged.events.get().image


def test_an_editor_tags_an_external_image_which_is_then_imported(
    eddie, stream, django_capture_on_commit_callbacks
):
    data = {
        "name": "1",
        "kind": "docker",
        "source": "quay.io/org/app:1",
        "scheduled": "on",
        **DEFAULTS,
    }
    with django_capture_on_commit_callbacks() as callbacks:
        eddie.post("/p/team/is/python/tags/new", data)
    tag = Tag.objects.get(name="1")
    assert (tag.from_kind, tag.from_name, tag.scheduled) == (
        "DockerImage",
        "quay.io/org/app:1",
        True,
    )
    # The import task, queued on commit (besides forgetting the stream's cached version).
    assert len([c for c in callbacks if "tag_import_task" in repr(c)]) == 1


def test_a_bad_source_is_explained_in_the_form_and_nothing_is_written(eddie, tagged):
    data = {"name": "x", "kind": "alias", "source": "x", **DEFAULTS}
    response = eddie.post("/p/team/is/python/tags/new", data, headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<form id="add-tag"')
    assert 'cannot make "x" an alias of itself' in html
    assert "hx-swap-oob" not in html
    data = {"name": "bad name!", "kind": "istag", "source": "python:3.6", **DEFAULTS}
    html = page_text(eddie.post("/p/team/is/python/tags/new", data, headers=HTMX))
    assert "invalid tag" in html
    assert not Tag.objects.filter(name__in=["x", "bad name!"]).exists()


def test_without_javascript_a_bad_tag_form_is_a_full_page(eddie, tagged):
    data = {"name": "y", "kind": "isimage", "source": "python@ffffffff", **DEFAULTS}
    response = eddie.post("/p/team/is/python/tags/new", data)
    html = page_text(response)
    assert "<html" in html
    assert 'image "ffffffff" not found in image stream "python"' in html


def test_viewers_may_not_add_tags(vera, tagged):
    data = {"name": "x", "kind": "alias", "source": "3.6", **DEFAULTS}
    assert vera.post("/p/team/is/python/tags/new", data).status_code == 403
    assert vera.get("/p/team/is/python/tags/new").status_code == 403
    assert not Tag.objects.filter(name="x").exists()


def test_scheduling_is_toggled_from_the_row(eddie, tagged):
    response = eddie.post("/p/team/is/python/tags/3.6/scheduled", {"scheduled": "on"}, headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<tbody id="tag-3.6"')
    assert 'aria-pressed="true"' in html
    assert "updates automatically from registry quay.io/py/python:3.6" in text_of(html)
    assert "set to import quay.io/py/python:3.6 periodically" in html  # the OOB message
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html
    tagged.refresh_from_db()
    assert tagged.scheduled

    eddie.post("/p/team/is/python/tags/3.6/scheduled", {}, headers=HTMX)
    tagged.refresh_from_db()
    assert not tagged.scheduled


def test_only_external_images_can_be_scheduled(eddie, tagged):
    response = eddie.post("/p/team/is/python/tags/stable/scheduled", {"scheduled": "on"})
    assert response.status_code == 302
    html = page_text(eddie.get(STREAM))
    assert "only container images can have importing flags set" in html
    assert not Tag.objects.get(name="stable").scheduled


def test_the_reference_policy_is_changed_from_the_row(eddie, tagged):
    response = eddie.post(
        "/p/team/is/python/tags/stable/reference-policy",
        {"reference_policy": "Local"},
        headers=HTMX,
    )
    assert "local pull-through" in response.content.decode()
    stable = Tag.objects.get(name="stable")
    assert stable.reference_policy == ReferencePolicy.LOCAL
    assert stable.from_kind == SourceKind.IMAGE_STREAM_IMAGE  # still the same source


def test_a_bad_reference_policy_is_refused(eddie, tagged):
    eddie.post("/p/team/is/python/tags/3.6/reference-policy", {"reference_policy": "Nope"})
    assert Tag.objects.get(name="3.6").reference_policy == ReferencePolicy.SOURCE
    assert "Choose the reference policy" in page_text(eddie.get(STREAM))


def test_deleting_asks_for_confirmation_without_javascript(eddie, tagged):
    html = page_text(eddie.get("/p/team/is/python/tags/3.6/delete"))
    assert "Delete tag python:3.6?" in html
    assert "its whole history (1 entry)" in html
    assert Tag.objects.filter(name="3.6").exists()
    response = eddie.post("/p/team/is/python/tags/3.6/delete")
    assert response["Location"] == STREAM
    assert not Tag.objects.filter(name="3.6").exists()


def test_deleting_with_htmx_returns_the_refreshed_table(eddie, tagged):
    response = eddie.post("/p/team/is/python/tags/3.6/delete", headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<section id="tag-table"')
    assert 'id="tag-3.6"' not in html
    assert 'id="tag-latest"' in html  # the alias lost its target: its own row now
    assert "Deleted tag team/python:3.6." in html


def test_the_row_actions_need_the_editor_role(vera, tagged):
    for action in ("import", "scheduled", "reference-policy", "delete"):
        assert vera.post(f"/p/team/is/python/tags/3.6/{action}").status_code == 403
    assert Tag.objects.filter(name="3.6", scheduled=False).exists()


def test_row_actions_on_a_missing_tag_are_not_found(eddie, stream):
    assert eddie.post("/p/team/is/python/tags/nope/import").status_code == 404


def test_import_now_reports_an_unreachable_registry(
    eddie, stream, django_capture_on_commit_callbacks
):
    tag = TagFactory(stream=stream, name="1", from_name="127.0.0.1:9/nothing/here:1")
    TagEventFactory(tag=tag)
    with django_capture_on_commit_callbacks(execute=True):
        response = eddie.post("/p/team/is/python/tags/1/import", headers=HTMX)
    assert "Import of python:1 requested." in page_text(response)
    assert "import failed" in row_of(page_text(eddie.get(STREAM)), "1")
    tag.refresh_from_db()
    assert tag.condition_reason
    assert tag.events.count() == 1  # the last good image stays


def test_import_now_on_a_tag_without_external_source_says_so(eddie, tagged):
    response = eddie.post("/p/team/is/python/tags/stable/import")
    assert response.status_code == 302
    assert "does not import from an external image" in page_text(eddie.get(STREAM))
