"""Staff who are not superusers see and change only what belongs to the
projects they administer (imagestreams.access decides)."""

from __future__ import annotations

import pytest

from imagestreams.models import ApiToken, ImageStream
from imagestreams.services.projects import project_create
from imagestreams.services.teams import service_account_create, service_account_token_create
from imagestreams.services.tokens import token_create
from tests.factories import StreamFactory, TagFactory
from triggers.models import TagChange
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, personas, team):
    """The team's admin, allowed into the Django admin; "other" is a project
    they have nothing to do with."""
    user = personas["admin"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    other = project_create(name="other", creator=personas["outsider"])
    StreamFactory(project=team, name="mine")
    StreamFactory(project=other, name="theirs")
    return client


def test_lists_show_only_administered_projects(staff, team):
    page = staff.get("/admin/imagestreams/imagestream/").content.decode()
    assert ">mine<" in page
    assert "theirs" not in page
    projects = staff.get("/admin/imagestreams/project/").content.decode()
    assert ">team<" in projects and ">other<" not in projects


def test_objects_of_other_projects_cannot_be_opened(staff):
    theirs = ImageStream.objects.get(name="theirs")
    response = staff.get(f"/admin/imagestreams/imagestream/{theirs.pk}/change/")
    assert response.status_code == 302  # "does not exist", as for outsiders everywhere
    assert response.url == "/admin/"


def test_global_pages_stay_with_superusers(staff):
    assert staff.get("/admin/imagestreams/image/").status_code == 403
    assert staff.get("/admin/triggers/registryevent/").status_code == 403
    assert staff.get("/admin/imagestreams/project/add/").status_code == 403


def test_forms_offer_only_administered_projects(staff, team):
    choices = staff.get(
        "/admin/autocomplete/",
        {"app_label": "triggers", "model_name": "trigger", "field_name": "project", "term": ""},
    ).json()["results"]
    assert choices == [{"id": str(team.pk), "text": "team"}]
    refused = staff.post(
        "/admin/triggers/trigger/add/",
        {
            "project": ImageStream.objects.get(name="theirs").project_id,
            "name": "sneaky",
            "stream": "theirs",
            "preset": "generic",
            "url": "https://example.com/",
            "options": "{}",
        },
    )
    assert "Select a valid choice" in refused.content.decode()


def test_actions_reach_only_administered_objects(staff, team):
    mine = TagFactory(stream=ImageStream.objects.get(name="mine"), name="1", scheduled=True)
    theirs = TagFactory(stream=ImageStream.objects.get(name="theirs"), name="1", scheduled=True)
    staff.post(
        "/admin/imagestreams/tag/",
        {"action": "pause_scheduling", "_selected_action": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.scheduled, theirs.scheduled) == (False, True)


def test_tokens_shown_are_their_own_and_their_projects_service_accounts(staff, team, personas):
    own, _ = token_create(user=personas["admin"], name="own")
    someone_elses, _ = token_create(user=personas["editor"], name="editor-laptop")
    account = service_account_create(project=team, name="ci")
    pipeline, _ = service_account_token_create(account=account, name="pipeline")
    page = staff.get("/admin/imagestreams/apitoken/").content.decode()
    assert own.key_prefix in page and pipeline.key_prefix in page
    assert someone_elses.key_prefix not in page
    staff.post(
        "/admin/imagestreams/apitoken/",
        {"action": "revoke", "_selected_action": [someone_elses.pk, pipeline.pk]},
    )
    assert ApiToken.objects.get(pk=someone_elses.pk).revoked_at is None
    assert ApiToken.objects.get(pk=pipeline.pk).revoked_at is not None


def test_changes_and_deliveries_follow_their_project(staff, team):
    for project in ("team", "other"):
        TagChange.objects.create(
            serial=1, project_name=project, stream_name="s", tag_name="t", pull_spec="x", cause="c"
        )
    page = staff.get("/admin/triggers/tagchange/").content.decode()
    assert "team/s:t" in page and "other/s:t" not in page
    trigger_create(project=team, name="hook", stream="mine", url="https://example.com/")
    assert "team/hook" in staff.get("/admin/triggers/trigger/").content.decode()


def test_staff_who_administer_nothing_see_nothing(client, personas, team):
    editor = personas["editor"]
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    index = client.get("/admin/").content.decode()
    assert "Image streams" not in index
    assert client.get("/admin/imagestreams/imagestream/").status_code == 403
