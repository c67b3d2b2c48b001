"""Sharing in the web UI: grant to a project or a user, one stream or all,
revoke; and how receivers see shared streams (marked, read-only)."""

from __future__ import annotations

import pytest

from imagestreams.access import acting
from imagestreams.models import Share
from imagestreams.services.projects import project_create
from tests.factories import StreamFactory
from tests.teams.world import HTMX, page_text

pytestmark = pytest.mark.django_db
SHARING = "/p/team/sharing/"


@pytest.fixture
def admin(web_as, personas, team):
    return web_as(personas["admin"])


def test_granting_one_stream_to_a_project(admin, python, personas):
    project_create(name="apps", by=acting(personas["outsider"], "task"))
    form = page_text(admin.get(SHARING))
    assert '<option value="python">python</option>' in form
    response = admin.post(
        SHARING, {"target_kind": "project", "target": "apps", "stream": "python"}, follow=True
    )
    assert response.redirect_chain == [(SHARING, 302)]
    assert 'apps may now see and pull "python" of team.' in page_text(response)
    share = Share.objects.get()
    assert (share.stream.name, share.target_project.name, share.created_by) == (
        "python",
        "apps",
        "admin",
    )


def test_granting_every_stream_to_a_user_with_htmx(admin, python):
    response = admin.post(SHARING, {"target_kind": "user", "target": "outsider"}, headers=HTMX)
    page = page_text(response)
    assert page.lstrip().startswith('<div id="sharing">')
    assert "every stream" in page and "outsider may now see and pull every stream" in page
    share = Share.objects.get()
    assert share.stream is None and share.target_user.username == "outsider"


def test_an_unknown_target_is_explained_at_the_field(admin, python):
    response = admin.post(SHARING, {"target_kind": "project", "target": "nowhere"}, headers=HTMX)
    page = page_text(response)
    assert 'project "nowhere" not found' in page and 'id="id_target_error"' in page
    assert not Share.objects.exists()


def test_revoking(admin, partner):
    _, _, share = partner
    response = admin.post(f"{SHARING}{share.pk}/revoke", headers=HTMX)
    assert f'id="share-{share.pk}"' not in page_text(response)
    assert "Tags already made from these streams keep their images." in page_text(response)
    assert not Share.objects.exists()


def test_the_receiving_project_shows_shared_streams_read_only(web_as, partner, python):
    shared, _, _ = partner
    StreamFactory(project=python.stream.project, name="secret")
    browser = web_as(shared)
    project_page = page_text(browser.get("/p/partner/"))
    assert "Shared with this project" in project_page
    assert 'href="/p/team/is/python/"' in project_page and "shared · read-only" in project_page
    assert "/p/team/is/secret/" not in project_page
    projects_page = page_text(browser.get("/"))
    assert "Shared with you" in projects_page and 'href="/p/team/is/python/"' in projects_page


def test_a_shared_stream_page_is_read_only(web_as, partner, python):
    shared, _, _ = partner
    browser = web_as(shared)
    page = page_text(browser.get("/p/team/is/python/"))
    assert "shared · read-only" in page
    assert "/p/team/is/python/tags/new" not in page  # no "add a tag"
    assert 'href="/p/team/"' not in page  # the project itself stays hidden
    tag_page = page_text(browser.get("/p/team/is/python/tags/3.6/"))
    assert "/rollback" not in tag_page
    assert browser.get("/p/team/").status_code == 404
    assert browser.post("/p/team/is/python/tags/3.6/rollback", {"to": "x"}).status_code == 403


def test_members_see_no_shared_marker(web_as, personas, partner, python):
    page = page_text(web_as(personas["viewer"]).get("/p/team/is/python/"))
    assert "shared · read-only" not in page
    assert 'href="/p/team/"' in page
