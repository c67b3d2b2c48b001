"""The members page: add by username with a role, change a role, remove,
and the message when the last admin would go."""

from __future__ import annotations

import pytest

from imagestreams.models import AuditEvent, Membership
from tests.teams.world import HTMX, page_text

pytestmark = pytest.mark.django_db
MEMBERS = "/p/team/members/"


@pytest.fixture
def admin(web_as, personas, team):
    return web_as(personas["admin"])


def role_of(username: str) -> str | None:
    membership = Membership.objects.filter(project__name="team", user__username=username).first()
    return membership.role if membership else None


def test_the_project_page_links_admins_to_the_team_pages(admin, web_as, personas):
    page = page_text(admin.get("/p/team/"))
    for section in ("members", "serviceaccounts", "sharing", "audit"):
        assert f'href="/p/team/{section}/"' in page
    viewer_page = page_text(web_as(personas["viewer"]).get("/p/team/"))
    assert 'href="/p/team/members/"' not in viewer_page


def test_the_page_lists_members_with_their_roles(admin):
    page = page_text(admin.get(MEMBERS))
    for name in ("admin", "editor", "viewer"):
        assert f'id="member-{name}"' in page
    assert '<option value="editor" selected>' in page


def test_adding_a_member_without_javascript_redirects_back(admin):
    response = admin.post(MEMBERS, {"username": "outsider", "role": "editor"}, follow=True)
    assert response.redirect_chain == [(MEMBERS, 302)]
    assert "outsider is now editor of team." in page_text(response)
    assert role_of("outsider") == "editor"
    event = AuditEvent.objects.filter(action="member.set").latest("id")
    assert (event.actor, event.interface) == ("admin", "web")


def test_adding_with_htmx_returns_the_region_and_a_message(admin):
    response = admin.post(MEMBERS, {"username": "outsider", "role": "viewer"}, headers=HTMX)
    page = page_text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="members">')
    assert "<html" not in page
    assert 'id="member-outsider"' in page
    assert 'hx-swap-oob="true"' in page and "outsider is now viewer of team." in page


def test_an_unknown_user_gets_a_message_at_the_field(admin):
    response = admin.post(MEMBERS, {"username": "nobody", "role": "viewer"}, headers=HTMX)
    page = page_text(response)
    assert 'user "nobody" not found' in page
    assert 'id="id_username_error"' in page
    assert not Membership.objects.filter(user__username="nobody").exists()


def test_changing_a_role(admin):
    response = admin.post(f"{MEMBERS}viewer/role", {"role": "editor"}, headers=HTMX)
    assert response.status_code == 200
    assert role_of("viewer") == "editor"
    assert "viewer is now editor of team." in page_text(response)


def test_the_last_admin_guard_is_explained(admin):
    response = admin.post(f"{MEMBERS}admin/role", {"role": "viewer"}, headers=HTMX)
    page = page_text(response)
    assert 'project "team" must keep at least one admin; make someone else admin first' in page
    assert role_of("admin") == "admin"
    removed = admin.post(f"{MEMBERS}admin/remove", follow=True)
    assert "must keep at least one admin" in page_text(removed)
    assert role_of("admin") == "admin"


def test_removing_a_member(admin):
    response = admin.post(f"{MEMBERS}editor/remove", headers=HTMX)
    assert 'id="member-editor"' not in page_text(response)
    assert role_of("editor") is None


def test_an_admin_who_steps_down_is_sent_to_the_project_page(admin):
    admin.post(f"{MEMBERS}editor/role", {"role": "admin"})
    response = admin.post(f"{MEMBERS}admin/role", {"role": "viewer"}, headers=HTMX)
    assert response["HX-Redirect"] == "/p/team/"
    assert role_of("admin") == "viewer"


def test_an_admin_who_leaves_is_sent_to_the_projects(admin):
    admin.post(f"{MEMBERS}editor/role", {"role": "admin"})
    response = admin.post(f"{MEMBERS}admin/remove")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_bad_role_is_refused_with_a_message(admin):
    response = admin.post(f"{MEMBERS}viewer/role", {"role": "owner"}, follow=True)
    assert "Choose the role viewer, editor or admin." in page_text(response)
    assert role_of("viewer") == "viewer"
