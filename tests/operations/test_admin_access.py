"""The Django admin is for operators: superusers only. Staff who are not
superusers, even admins of a project, get no admin page and no action;
teams use the team pages and the API, where imagestreams.access decides."""

from __future__ import annotations

import pytest

from imagestreams.access import acting, acting_system
from imagestreams.models import ImageStream, TagChange
from imagestreams.services.projects import project_create
from tests.factories import StreamFactory, TagFactory
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/",
    "/admin/imagestreams/",
    "/admin/imagestreams/project/",
    "/admin/imagestreams/imagestream/",
    "/admin/imagestreams/tag/",
    "/admin/imagestreams/apitoken/",
    "/admin/imagestreams/tagchange/",
    "/admin/imagestreams/registryevent/",
    "/admin/triggers/trigger/",
    "/admin/triggers/trigger/add/",
    "/admin/triggers/delivery/",
]


@pytest.fixture
def projects(personas, team):
    other = project_create(name="other", by=acting(personas["outsider"], "task"))
    StreamFactory(project=team, name="mine")
    StreamFactory(project=other, name="theirs")
    return team, other


@pytest.fixture
def staff(client, personas, projects):
    """The team's admin, marked staff: once that opened the admin on their projects."""
    user = personas["admin"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_staff_who_are_not_superusers_get_no_admin_page(staff, path):
    response = staff.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_the_admin_sign_in_tells_staff_they_are_not_authorized(staff):
    page = staff.get("/admin/login/").content.decode()
    assert "not authorized to access this page" in page


def test_staff_actions_change_nothing(staff):
    mine = TagFactory(stream=ImageStream.objects.get(name="mine"), name="1", scheduled=True)
    response = staff.post(
        "/admin/imagestreams/tag/",
        {"action": "pause_scheduling", "_selected_action": [mine.pk]},
    )
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    mine.refresh_from_db()
    assert mine.scheduled


def test_operators_see_every_project(operator, projects):
    streams = operator.get("/admin/imagestreams/imagestream/").content.decode()
    assert ">mine<" in streams and ">theirs<" in streams
    for project in ("team", "other"):
        TagChange.objects.create(
            serial=1, project_name=project, stream_name="s", tag_name="t", pull_spec="x", cause="c"
        )
    changes = operator.get("/admin/imagestreams/tagchange/").content.decode()
    assert "team/s:t" in changes and "other/s:t" in changes


def test_operators_may_pick_any_project_for_a_trigger(operator, projects):
    choices = operator.get(
        "/admin/autocomplete/",
        {"app_label": "triggers", "model_name": "trigger", "field_name": "project", "term": ""},
    ).json()["results"]
    assert sorted(choice["text"] for choice in choices) == ["other", "team"]
    trigger_create(
        project=projects[1],
        name="hook",
        stream="theirs",
        url="https://example.com/",
        by=acting_system(),
    )
    assert "other/hook" in operator.get("/admin/triggers/trigger/").content.decode()
