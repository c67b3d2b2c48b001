"""Flash messages reach the user on full pages and on htmx swaps."""

from __future__ import annotations

import pytest

from tests.factories import StreamFactory
from tests.web.conftest import HTMX, page_text

pytestmark = pytest.mark.django_db


def test_an_htmx_response_carries_its_messages_out_of_band(eddie, project):
    StreamFactory(project=project, name="python")
    response = eddie.post("/p/team/is/python/tags/nope/delete", headers=HTMX)
    assert response.status_code == 404  # errors are not swapped by htmx: no messages added

    response = eddie.post(
        "/p/team/is/python/tags/new",
        {
            "name": "a",
            "kind": "alias",
            "source": "b",
            "reference_policy": "Source",
            "import_mode": "Legacy",
        },
        headers=HTMX,
    )
    html = page_text(response)
    messages = html[html.index('<div id="messages"') :]
    assert 'hx-swap-oob="true"' in messages
    assert "Tag python:a set up to track python:b." in messages
    # Shown once: the next page does not repeat it.
    assert "set up to track" not in page_text(eddie.get("/p/team/is/python/"))


def test_full_pages_show_messages_in_place_without_oob(eddie, project):
    StreamFactory(project=project, name="python")
    eddie.post(
        "/p/team/is/python/tags/new",
        {
            "name": "a",
            "kind": "alias",
            "source": "b",
            "reference_policy": "Source",
            "import_mode": "Legacy",
        },
    )
    html = page_text(eddie.get("/p/team/is/python/"))
    assert "Tag python:a set up to track python:b." in html
    assert "hx-swap-oob" not in html


def test_htmx_polling_without_messages_adds_nothing(vera, project):
    StreamFactory(project=project, name="python")
    html = vera.get("/p/team/is/python/", headers=HTMX).content.decode()
    assert 'id="messages"' not in html
