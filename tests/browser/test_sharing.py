"""Sharing in a real browser: an admin shares a stream with another project;
a member of that project sees it there, read-only, and can open it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from imagestreams.access import acting, acting_system
from imagestreams.services.projects import project_create
from imagestreams.services.teams import member_set
from tests.factories import StreamFactory, TagEventFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


@pytest.fixture
def projects():
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    bob = users.create_user("bob", password=PASSWORD)
    base = project_create(name="base", display_name="Base images", by=acting(alice, "task"))
    app = project_create(name="app", display_name="App team", by=acting(bob, "task"))
    member_set(project=app, username="bob", role="admin", by=acting_system())
    TagEventFactory(tag__stream=StreamFactory(project=base, name="python"), tag__name="3.12")
    StreamFactory(project=base, name="internal")
    return base, app


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_a_shared_stream_shows_up_read_only_in_the_other_project(
    page: Page, live_server, projects, screenshot
):
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/p/base/")
    page.get_by_role("link", name="Sharing").click()
    page.get_by_label("Another project: its members and service accounts").check()
    page.get_by_label("Project or username").fill("app")
    page.get_by_label("Image streams").select_option("python")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#sharing")).to_contain_text("project app")
    screenshot(page, "sharing")
    sign_out(page)

    sign_in(page, live_server, "bob")
    page.get_by_role("link", name="App team").click()
    shared = page.locator("tr", has_text="base/python")
    expect(shared).to_contain_text("shared · read-only")
    expect(page.get_by_text("base/internal")).to_have_count(0)
    shared.get_by_role("link", name="base/python").click()
    expect(page).to_have_url(re.compile(r"/p/base/is/python/$"))
    expect(page.get_by_role("button", name="Import now")).to_have_count(0)
    # The owner's project itself stays hidden from bob.
    response = page.goto(f"{live_server.url}/p/base/")
    assert response.status == 404
