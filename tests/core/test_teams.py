"""Sharing, service accounts and the audit log, at the service level."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.access import (
    ServiceAccountPrincipal,
    acting,
    acting_system,
    can,
    stream_for,
    streams_shared_with,
    streams_shared_with_project,
)
from imagestreams.models import AuditEvent
from imagestreams.services.errors import Conflict, Forbidden, NotFound
from imagestreams.services.projects import project_create
from imagestreams.services.tagging import tag_set
from imagestreams.services.teams import (
    member_remove,
    member_set,
    service_account_create,
    service_account_token_create,
    share_grant,
    share_revoke,
)
from imagestreams.services.tokens import principal_of, token_authenticate
from tests.factories import StreamFactory, TagEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    users = get_user_model().objects
    people = {n: users.create_user(n, password="x") for n in ("alice", "bob", "carol", "dave")}
    base = project_create(name="base", by=acting(people["alice"], "task"))
    app = project_create(name="app", by=acting(people["bob"], "task"))
    member_set(project=app, username="carol", role="viewer", by=acting_system())
    TagEventFactory(tag__stream=StreamFactory(project=base, name="python"), tag__name="3.12")
    StreamFactory(project=base, name="secret")
    return people, base, app


def test_a_stream_shared_with_a_project_is_visible_to_its_members_only(world):
    people, base, app = world
    share_grant(project=base, stream_name="python", target_project="app", by=acting_system())
    assert stream_for(people["carol"], "base", "python", "view").name == "python"
    with pytest.raises(Forbidden):
        stream_for(people["carol"], "base", "python", "edit")
    with pytest.raises(NotFound):
        stream_for(people["carol"], "base", "secret", "view")
    with pytest.raises(NotFound):
        stream_for(people["dave"], "base", "python", "view")
    assert [s.name for s in streams_shared_with_project(app)] == ["python"]
    assert [s.name for s in streams_shared_with(people["carol"])] == ["python"]
    assert not can(people["carol"], base, "view")  # the project itself stays private


def test_sharing_a_whole_project_with_one_user(world):
    people, base, _ = world
    share_grant(project=base, target_user="dave", by=acting_system())
    assert {s.name for s in streams_shared_with(people["dave"])} == {"python", "secret"}


def test_tagging_from_a_shared_stream_and_revoking_later(world):
    people, base, app = world
    share = share_grant(
        project=base, stream_name="python", target_project="app", by=acting_system()
    )
    [result] = tag_set(
        project=app,
        source="base/python:3.12",
        destinations=["python:3.12"],
        by=acting(people["bob"], "task"),
    )
    share_revoke(project=base, share_id=share.pk, by=acting_system())
    # The tag already made keeps its image; a new one is refused.
    assert result.tag.events.count() == 1
    with pytest.raises(NotFound):
        tag_set(
            project=app,
            source="base/python:3.12",
            destinations=["python:x"],
            by=acting(people["bob"], "task"),
        )


def test_service_account_tokens_act_with_the_account_role(world):
    _, base, app = world
    account = service_account_create(project=app, name="ci", role="editor", by=acting_system())
    _token, raw = service_account_token_create(account=account, name="pipeline", by=acting_system())
    principal = principal_of(token_authenticate(raw))
    assert isinstance(principal, ServiceAccountPrincipal)
    assert principal.username == "serviceaccount:app:ci"
    assert can(principal, app, "edit")
    assert not can(principal, app, "admin")
    assert not can(principal, base, "view")
    share_grant(project=base, stream_name="python", target_project="app", by=acting_system())
    assert stream_for(principal, "base", "python", "view").name == "python"


def test_a_project_keeps_at_least_one_admin(world):
    _, base, _ = world
    with pytest.raises(Conflict, match="at least one admin"):
        member_remove(project=base, username="alice", by=acting_system())
    member_set(project=base, username="carol", role="admin", by=acting_system())
    member_remove(project=base, username="alice", by=acting_system())


def test_changes_are_audited_with_who_and_how(world):
    _people, base, _ = world
    alice = acting(get_user_model().objects.get(username="alice"), "web")
    member_set(by=alice, project=base, username="dave", role="editor")
    share_grant(by=alice, project=base, target_user="carol")
    events = list(AuditEvent.objects.filter(project=base).order_by("id"))
    member_event = next(e for e in events if e.action == "member.set")
    assert (member_event.actor, member_event.interface) == ("alice", "web")
    assert member_event.after == {"role": "editor"}
    assert any(e.action == "share.grant" for e in events)
    assert events[0].action == "project.create"


def test_a_rolled_back_change_leaves_no_audit_entry(world):
    _, base, _ = world
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        member_set(project=base, username="nobody", role="viewer", by=acting_system())
    assert AuditEvent.objects.count() == before
