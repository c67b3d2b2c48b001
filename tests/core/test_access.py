"""The one permission check: outsiders see nothing, roles are ordered."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.access import acting, can, project_for, projects_for
from imagestreams.models import Role
from imagestreams.services.errors import Forbidden, NotFound
from imagestreams.services.projects import membership_set, project_create
from imagestreams.services.tagging import tag_set
from tests.factories import ProjectFactory, TagEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    users = get_user_model().objects
    return {name: users.create_user(name, password="x") for name in ("alice", "bob", "charlie")}


def test_the_creator_of_a_project_is_its_admin(people):
    project = project_create(name="team", by=acting(people["alice"], "task"))
    assert can(people["alice"], project, "admin")
    assert list(projects_for(people["alice"])) == [project]


def test_outsiders_get_not_found_and_low_roles_forbidden(people):
    project = project_create(name="team", by=acting(people["alice"], "task"))
    membership_set(project=project, user=people["bob"], role=Role.VIEWER)
    assert project_for(people["bob"], "team", "view") == project
    with pytest.raises(Forbidden):
        project_for(people["bob"], "team", "edit")
    with pytest.raises(NotFound):
        project_for(people["charlie"], "team", "view")
    with pytest.raises(NotFound):
        project_for(people["alice"], "no-such-project", "view")


def test_triggers_need_the_editor_role_even_to_be_seen(people):
    """Trigger URLs and delivery logs often carry secrets: one rule for the
    API, the web pages and the admin."""
    project = project_create(name="team", by=acting(people["alice"], "task"))
    membership_set(project=project, user=people["bob"], role=Role.VIEWER)
    assert can(people["bob"], project, "view")
    assert not can(people["bob"], project, "triggers")
    with pytest.raises(Forbidden, match="you may not see or manage triggers"):
        project_for(people["bob"], "team", "triggers")
    membership_set(project=project, user=people["bob"], role=Role.EDITOR)
    assert can(people["bob"], project, "triggers")


def test_tagging_from_another_project_needs_access_to_it(people):
    TagEventFactory(tag__stream__project__name="shared", tag__stream__name="base", tag__name="1")
    mine = project_create(name="mine", by=acting(people["alice"], "task"))
    with pytest.raises(NotFound):
        tag_set(
            project=mine,
            source="shared/base:1",
            destinations=["base:1"],
            by=acting(people["alice"], "task"),
        )
    membership_set(project=ProjectFactory(name="shared"), user=people["alice"], role="viewer")
    [result] = tag_set(
        project=mine,
        source="shared/base:1",
        destinations=["base:1"],
        by=acting(people["alice"], "task"),
    )
    assert result.tag.from_namespace == "shared"


def test_tagging_needs_edit_on_the_destination(people):
    TagEventFactory(tag__stream__project__name="team", tag__stream__name="base", tag__name="1")
    project = ProjectFactory(name="team")
    membership_set(project=project, user=people["bob"], role="viewer")
    with pytest.raises(Forbidden):
        tag_set(
            project=project,
            source="base:1",
            destinations=["base:2"],
            by=acting(people["bob"], "task"),
        )
