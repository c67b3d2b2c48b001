"""The stream page at a real size (issue 16): every row's actions inside a
1280 x 800 window, no sideways scroll; the tag page's header and commands
after a rollback; polling pages without Content-Security-Policy errors."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from playwright.sync_api import Page, expect

from imagestreams.access import acting
from imagestreams.models import Tag
from imagestreams.services.projects import project_create
from tests.browser.realistic import PINNED, python_stream
from tests.browser.test_team_pages import PASSWORD, mark_page, sign_in, still_same_page

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 1280, 800


@pytest.fixture
def stream():
    alice = get_user_model().objects.create_user("alice", password=PASSWORD)
    project = project_create(name="team", display_name="Team Payments", by=acting(alice, "task"))
    return python_stream(project)


@pytest.fixture
def window(page: Page) -> Page:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return page


def test_every_rows_tag_name_and_actions_are_inside_the_window(
    window: Page, live_server, stream, screenshot, settings
):
    settings.INTERNAL_REGISTRY_HOSTNAME = "images.example.com"
    page = window
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/p/team/is/python/")
    rows = page.locator("#tag-table tbody.tag-rows")
    expect(rows).to_have_count(4 + len(PINNED) + 1)  # latest is folded into 3.13
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    for index in range(rows.count()):
        row = rows.nth(index)
        row.scroll_into_view_if_needed()
        actions = row.locator(".actions > form button, .actions summary").all()
        for part in [row.locator(".tag-name"), *actions]:
            expect(part).to_be_in_viewport()
            box = part.bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, part
    failing = page.locator('tbody[id="tag-3.14-rc"]')
    expect(failing.locator(".row-detail")).to_contain_text("(NotFound) Internal error occurred")
    expect(page.locator('tbody[id="tag-3.13"] .aliases')).to_have_text("(latest)")
    expect(page.locator('tbody[id="tag-3.13"]')).to_contain_text("scheduled")
    prod = page.locator('tbody[id="tag-prod"] .source .ref')
    digest = Tag.objects.get(name="prod").from_name.split("@", 1)[1]
    expect(prod).to_have_text(f"python@{digest[7:19]}")
    expect(prod).to_have_attribute("title", f"python@{digest}")
    expect(page.locator(".summary")).to_contain_text("images.example.com/team/python")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "stream")


def test_a_rollback_updates_the_header_and_the_commands(
    window: Page, live_server, stream, screenshot
):
    page = window
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/p/team/is/python/tags/3.12/")
    source = page.locator("#tag-source")
    expect(source).to_have_text("tagged from docker.io/library/python:3.12")
    commands = page.locator("#tag-cli")
    entries = page.locator(".timeline-entry")
    expect(entries).to_have_count(3)
    current = Tag.objects.get(name="3.12").events.first().image.digest
    mark_page(page)
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison")).to_contain_text("org.opencontainers.image.version")
    screenshot(page, "tag")

    entries.nth(1).get_by_role("button", name=re.compile("Roll back to this")).click()
    expect(entries).to_have_count(4)
    rolled_to = Tag.objects.get(name="3.12").events.first().image.digest
    expect(source).to_have_text(re.compile(rf"^tagged from python@{rolled_to}$"))
    expect(page.locator("#pinned-notice")).to_contain_text("docker.io/library/python:3.12")
    expect(page.get_by_role("button", name="Follow upstream again")).to_be_visible()
    expect(commands).to_contain_text("isctl unpin python:3.12")
    # The suggested rollback now goes back to the image that was current.
    expect(commands).to_contain_text(f"isctl rollback python:3.12 --to {current}")
    assert still_same_page(page)


def test_polling_pages_run_without_csp_errors_and_without_404s(window: Page, live_server, stream):
    page = window
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    Tag.objects.filter(name="3.12").update(generation=F("generation") + 10)  # import pending
    sign_in(page, live_server)
    for path, polled in [
        ("/p/team/is/python/", "/p/team/is/python/tags/3.12/row"),
        ("/p/team/is/python/tags/3.12/", "/p/team/is/python/tags/3.12/"),
    ]:
        with page.expect_request(lambda r, polled=polled: r.url.endswith(polled)):
            page.goto(f"{live_server.url}{path}")
        with page.expect_request(lambda r, polled=polled: r.url.endswith(polled)):
            pass  # a second round: polling goes on
    page.goto(f"{live_server.url}/favicon.ico")
    assert problems == []
