"""Playwright against the live server, with Debian's Chromium (no `playwright
install`: the browser download site is unreachable from our machines)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.registry_lab.net import REQUEST_TIMEOUT

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# pytest-playwright's sync API runs an event loop in the main thread, and
# Django then refuses ORM calls from test code (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--headless",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations():
    """Assertions retry until the page shows what they expect: give a slow
    machine as long as a request may take (Playwright's default is 5 s)."""
    expect.set_options(timeout=REQUEST_TIMEOUT * 1000)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests run with DEBUG off; the manifest storage would need collectstatic,
    and live_server serves static files from the finders."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def screenshot():
    """`screenshot(page, "stream")` writes docs/screenshots/stream.png when
    UPDATE_SCREENSHOTS=1; otherwise it does nothing."""

    def take(page, name: str) -> None:
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
