"""A team's day in a real browser: sign in, import from a real registry, add
an alias, pick up a re-push, compare two history entries, roll back; an import
in progress that updates its row by itself; a trigger and its test delivery."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from imagestreams.access import acting, acting_system
from imagestreams.models import Tag
from imagestreams.services.projects import project_create
from imagestreams.services.streams import stream_create
from imagestreams.tasks import tag_import_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.registry]

PASSWORD = "correct horse battery"


@pytest.fixture
def team(operator_settings, registry):
    # The test registry speaks plain HTTP.
    operator_settings(insecure_registries=registry.host)
    alice = get_user_model().objects.create_user("alice", password=PASSWORD)
    return project_create(name="team", display_name="Team Payments", by=acting(alice, "task"))


def sign_in(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def mark_page(page: Page) -> None:
    """A marker that a full page load would wipe out."""
    page.evaluate("window.__sameDocument = true")


def still_same_page(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def short(digest: str) -> str:
    return digest.split(":", 1)[1][:12]


def test_a_team_imports_aliases_updates_compares_and_rolls_back(
    page: Page, live_server, team, registry, pusher, unique_repo, screenshot
):
    client = pusher(registry)
    v1 = client.push_image(
        unique_repo, "3.6", labels={"version": "1"}, env=["PY=3.6.1"], exposed_ports=["8080/tcp"]
    )
    sign_in(page, live_server)
    screenshot(page, "projects")

    page.get_by_role("link", name="Team Payments").click()
    expect(page.get_by_text("No image streams yet")).to_be_visible()
    screenshot(page, "project-empty")
    page.get_by_label("Stream and tag").fill("python:3.6")
    page.get_by_label("From image").fill(v1.reference)
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/p/team/is/python/")
    expect(page.locator("#messages")).to_contain_text("imagestream/python imported")
    row = page.locator('tr[id="tag-3.6"]')
    expect(row).to_contain_text(short(v1.digest))
    expect(row).to_contain_text("linux/amd64")

    mark_page(page)
    page.get_by_label("New tag").fill("latest")
    page.get_by_label("An alias of a tag of this stream").check()
    page.get_by_label("Source").fill("3.6")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#messages")).to_contain_text("set up to track python:3.6")
    expect(row.locator(".aliases")).to_have_text("(latest)")

    v2 = client.push_image(
        unique_repo,
        "3.6",
        labels={"version": "2"},
        env=["PY=3.6.2"],
        exposed_ports=["8080/tcp", "9090/tcp"],
        layers=2,
    )
    row.get_by_role("button", name="Import now").click()
    expect(page.locator("#messages")).to_contain_text("Import of python:3.6 requested.")
    expect(row).to_contain_text(short(v2.digest))
    assert still_same_page(page), "actions must swap the row, not reload the page"
    # Keyboard users stay where they were: focus survives the swap of the row.
    assert page.evaluate("document.activeElement.id") == "import-now-3.6"
    screenshot(page, "stream")

    row.get_by_role("link", name="3.6", exact=True).click()
    expect(page.locator(".timeline-entry")).to_have_count(2)
    mark_page(page)
    page.get_by_role("button", name="Compare").click()
    comparison = page.locator("#comparison")
    expect(comparison).to_contain_text("1 layer added")
    labels = comparison.locator("table.diff").first
    expect(comparison.locator("tr.changed", has_text="version")).to_contain_text("2")
    expect(labels).to_be_visible()
    expect(comparison.locator(".diff-list li.added", has_text="9090/tcp")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tags/3.6/\?(a|b)=\d+&(a|b)=\d+$"))
    screenshot(page, "tag")

    older = page.locator(".timeline-entry").nth(1)
    older.get_by_role("button", name=re.compile("Roll back to this")).click()
    expect(page.locator(".timeline-entry")).to_have_count(3)
    # htmx settles swapped elements that keep their id (old classes first, new
    # ones a moment later): wait for the settled state, not a snapshot.
    expect(page.locator(".timeline-entry.current")).to_have_count(1)
    current = page.locator(".timeline-entry").first
    expect(current).to_have_class(re.compile(r"\bcurrent\b"))
    expect(current).to_contain_text(short(v1.digest))
    expect(current).to_contain_text("Rollback")
    expect(current).to_contain_text("by alice")
    expect(page.locator("#messages")).to_contain_text("rolled back to")
    assert still_same_page(page)
    assert Tag.objects.get(name="3.6").events.first().image.digest == v1.digest

    current.get_by_role("link", name=short(v1.digest)).click()
    expect(page.get_by_role("heading", name="Layers")).to_be_visible()
    expect(page.get_by_text(f"{registry.host}/{unique_repo}@{v1.digest}").first).to_be_visible()
    screenshot(page, "image")

    page.goto(f"{live_server.url}/p/team/credentials/")
    page.get_by_label("Registry").fill("quay.io")
    page.get_by_label("Username").fill("robot")
    page.get_by_label("Password").fill("not-shown-again")
    page.get_by_role("button", name="Save credentials").click()
    expect(page.locator("#credentials")).to_contain_text("robot")
    expect(page.locator("body")).not_to_contain_text("not-shown-again")
    screenshot(page, "credentials")

    page.goto(f"{live_server.url}/p/team/")
    expect(page.locator("#stream-table")).to_contain_text("python")
    screenshot(page, "project")


def test_an_import_in_progress_updates_its_row_by_itself(
    page: Page, live_server, team, registry, pusher, unique_repo, tasks_lost, screenshot
):
    """The import the page queues is not run: the row waits, polling, until
    a worker (this test, calling the task) has imported the image."""
    pushed = pusher(registry).push_image(
        unique_repo, "1", platforms=["linux/amd64", "linux/arm64/v8"]
    )
    stream_create(project=team, name="app", by=acting_system())
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/p/team/is/app/")
    expect(page.get_by_text("No tags yet")).to_be_visible()
    mark_page(page)

    page.get_by_label("New tag").fill("1")
    page.get_by_label("Source").fill(pushed.reference)
    page.get_by_text("Import options (external images)").click()
    page.get_by_label("Import mode").select_option("PreserveOriginal")
    page.get_by_role("button", name="Add tag").click()
    row = page.locator('tr[id="tag-1"]')
    expect(row).to_contain_text("importing")

    tag_import_task(Tag.objects.get(name="1").pk)  # what a worker does

    expect(row).to_contain_text(short(pushed.digest))
    expect(row).to_contain_text("linux/arm64/v8")
    expect(row).not_to_contain_text("importing")
    assert still_same_page(page)

    row.get_by_role("link", name=short(pushed.digest)).click()
    expect(page.get_by_role("heading", name="Platforms")).to_be_visible()
    expect(page.locator("table")).to_contain_text("linux/arm64/v8")
    screenshot(page, "image-index")

    page.goto(f"{live_server.url}/p/team/is/app/")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("summary").click()
    row.get_by_role("link", name="Delete tag…").click()
    expect(page.locator('tr[id="tag-1"]')).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Deleted tag team/app:1.")


def test_a_trigger_is_added_and_a_test_delivery_sent(
    page: Page, live_server, team, receiver, screenshot
):
    stream_create(project=team, name="app", by=acting_system())
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/p/team/")
    page.get_by_role("link", name="Triggers").click()
    expect(page.get_by_text("No triggers yet")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("deploy-staging")
    page.get_by_label("Image stream").fill("app")
    page.get_by_label("Tag", exact=True).fill("1")
    page.get_by_label("URL").fill(f"{receiver.url}/hooks/deploy")
    page.get_by_role("button", name="Add trigger").click()
    expect(page.get_by_role("heading", name="deploy-staging")).to_be_visible()

    mark_page(page)
    page.get_by_role("button", name="Send a test delivery").click()
    expect(page.locator("#messages")).to_contain_text("Test delivery sent: 200")
    expect(page.locator("#trigger-main")).to_contain_text("Succeeded")
    assert still_same_page(page)
    [request] = receiver.wait_for(1)
    assert request.path == "/hooks/deploy"
    screenshot(page, "trigger")
