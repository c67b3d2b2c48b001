"""The projects list and a project's page with its streams."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageStream, Membership, Project
from tests.factories import StreamFactory, TagEventFactory, TagFactory
from tests.web.conftest import HTMX, page_text

pytestmark = pytest.mark.django_db


def test_a_user_sees_only_the_projects_they_belong_to(as_user, project):
    Project.objects.create(name="secret")
    html = as_user("vera").get("/").content.decode()
    assert 'href="/p/team/"' in html
    assert "secret" not in html
    assert '<span class="badge">viewer</span>' in html


def test_a_new_user_is_told_what_to_do(as_user, people):
    html = as_user("charlie").get("/").content.decode()
    assert "You are not in any project yet" in html
    assert "Create a project" in html


def test_anyone_signed_in_can_create_a_project_and_becomes_its_admin(as_user, people):
    client = as_user("charlie")
    response = client.post("/", {"name": "mine"})
    assert response.status_code == 302
    assert response["Location"] == "/p/mine/"
    assert Membership.objects.get(project__name="mine").role == "admin"


def test_an_invalid_project_name_is_explained_in_the_form_fragment(charlie):
    response = charlie.post("/", {"name": "Not Valid"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="project-form"' in html
    assert "invalid project name" in html
    assert not Project.objects.filter(name="Not Valid").exists()


def test_the_project_page_lists_streams_with_their_health(vera, project):
    stream = StreamFactory(project=project, name="python")
    ok = TagFactory(stream=stream, name="3.12", scheduled=True)
    TagEventFactory(tag=ok)
    TagFactory(
        stream=stream,
        name="3.11",
        condition_reason="NotFound",
        condition_message="gone",
        condition_generation=1,
    )
    TagFactory(stream=stream, name="3.13", generation=5)  # never imported yet
    StreamFactory(project=project, name="empty")
    response = vera.get("/p/team/")
    assert response.status_code == 200
    row = _row(response.content.decode(), "python")
    assert '<td data-label="Tags">3</td>' in row
    assert "1 scheduled" in row
    assert "1 failing" in row
    assert "1 importing" in row
    assert "just now" in row
    empty = _row(response.content.decode(), "empty")
    assert ">OK<" in empty
    assert "never" in empty


def _row(html: str, stream: str) -> str:
    start = html.index(f">{stream}</a>")
    return html[start : html.index("</tr>", start)]


def test_the_htmx_filter_returns_only_the_table(vera, project):
    StreamFactory(project=project, name="python")
    StreamFactory(project=project, name="node")
    failing = StreamFactory(project=project, name="nginx")
    TagFactory(stream=failing, condition_reason="Unauthorized")
    response = vera.get("/p/team/?q=n&health=failing", headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="stream-table"')
    assert ">nginx</a>" in html
    assert ">node</a>" not in html
    assert ">python</a>" not in html
    assert response["Vary"] == "HX-Request, Cookie"


def test_a_filter_without_results_says_so(vera, project):
    StreamFactory(project=project, name="python")
    html = vera.get("/p/team/?q=ruby").content.decode()
    assert "No image streams match" in html


def test_an_empty_project_shows_what_to_do_next(eddie, project):
    html = eddie.get("/p/team/").content.decode()
    assert "No image streams yet" in html
    assert "Start by importing an image" in html
    assert "isctl import-image NAME:TAG --from=IMAGE --confirm" in html
    assert "isctl project team" in html


def test_viewers_get_no_forms_to_change_anything(vera, project):
    html = vera.get("/p/team/").content.decode()
    assert "Import an image" not in html
    assert "Create an empty stream" not in html
    assert "Registry credentials" not in html


def test_outsiders_do_not_learn_that_a_project_exists(charlie):
    assert charlie.get("/p/team/").status_code == 404
    assert charlie.get("/p/team/", headers=HTMX).status_code == 404
    assert charlie.get("/p/nothing-here/").status_code == 404


def test_an_editor_creates_a_stream_and_is_sent_to_it(eddie, project):
    response = eddie.post("/p/team/streams/new", {"name": "python"}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/p/team/is/python/"
    assert ImageStream.objects.filter(project=project, name="python").exists()
    # The message waits for the page the browser is sent to.
    assert 'Image stream "python" created' in page_text(eddie.get("/p/team/is/python/"))


def test_a_duplicate_stream_is_a_form_error(eddie, project):
    StreamFactory(project=project, name="python")
    response = eddie.post("/p/team/streams/new", {"name": "python"}, headers=HTMX)
    html = page_text(response)
    assert 'id="stream-form"' in html
    assert 'image stream "python" already exists' in html


def test_without_javascript_a_bad_stream_name_shows_the_whole_page(eddie, project):
    response = eddie.post("/p/team/streams/new", {"name": "UPPER"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "invalid image stream name" in html


def test_viewers_may_not_create_streams(vera, project):
    assert vera.post("/p/team/streams/new", {"name": "python"}).status_code == 403
    assert not ImageStream.objects.exists()


def test_outsiders_get_not_found_for_actions(charlie, project):
    assert charlie.post("/p/team/streams/new", {"name": "python"}).status_code == 404
    assert charlie.post("/p/team/import", {"target": "python:1"}).status_code == 404


def test_an_import_with_bad_input_writes_nothing_and_explains(eddie, project):
    data = {
        "target": "python:3.12",
        "from_image": "Not A Reference!",
        "reference_policy": "Source",
        "import_mode": "Legacy",
    }
    response = eddie.post("/p/team/import", data, headers=HTMX)
    html = response.content.decode()
    assert 'id="import-form"' in html
    assert "--from must be a valid container image pull spec" in html
    assert not ImageStream.objects.exists()


def test_viewers_may_not_import(vera, project):
    data = {"target": "python:3.12", "reference_policy": "Source", "import_mode": "Legacy"}
    assert vera.post("/p/team/import", data).status_code == 403
