"""Admin actions and edits go through the same services as the API, the CLI
and the team pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.access import acting, acting_system
from imagestreams.models import ApiToken, AuditEvent, Membership, Project, Tag
from imagestreams.services.tagging import TagOptions, tag_set
from imagestreams.services.teams import service_account_create, service_account_token_create
from imagestreams.services.tokens import token_create
from tests.factories import StreamFactory, TagEventFactory, TagFactory
from triggers.models import Delivery, DeliveryAttempt, Trigger
from triggers.services.triggers import trigger_create

pytestmark = pytest.mark.django_db


def act(client, page: str, action: str, objects) -> str:
    response = client.post(
        f"/admin/{page}/",
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.registry
def test_import_now_imports_the_selected_tags(
    operator, team, registry, pusher, unique_repo, django_capture_on_commit_callbacks
):
    pushed = pusher(registry).push_image(unique_repo, "1", text="import now")
    stream = StreamFactory(project=team, name="app")
    tag = TagFactory(stream=stream, name="1", from_name=pushed.reference, insecure=True)
    pinned = TagFactory(stream=stream, name="pinned", from_kind="ImageStreamImage")
    with django_capture_on_commit_callbacks(execute=True):
        page = act(operator, "imagestreams/tag", "import_now", [tag, pinned])
    assert "Import of team/app:1 queued." in page
    assert tag.events.get().image.digest == pushed.digest
    assert not pinned.events.exists()  # not an external image: nothing to import


def test_pause_and_resume_scheduling_rewrite_the_spec_like_oc_tag(operator, team):
    [result] = tag_set(
        project=team,
        source="quay.io/example/app:1",
        destinations=["app:1"],
        options=TagOptions(scheduled=True),
        by=acting_system(),
    )
    tag = result.tag
    page = act(operator, "imagestreams/tag", "pause_scheduling", [tag])
    assert "Tag app:1 set to quay.io/example/app:1." in page
    assert not Tag.objects.get(pk=tag.pk).scheduled
    page = act(operator, "imagestreams/tag", "resume_scheduling", [tag])
    assert "Tag app:1 set to import quay.io/example/app:1 periodically." in page
    assert Tag.objects.get(pk=tag.pk).scheduled
    assert AuditEvent.objects.filter(action="tag.set", interface="admin").count() == 2


def test_resuming_a_tag_that_does_not_import_is_refused_with_the_reason(operator, team):
    source = TagFactory(stream=StreamFactory(project=team, name="app"), name="1")
    TagEventFactory(tag=source)
    [alias] = tag_set(
        project=team,
        source="app:1",
        destinations=["app:latest"],
        options=TagOptions(alias=True),
        by=acting_system(),
    )
    page = act(operator, "imagestreams/tag", "resume_scheduling", [alias.tag])
    assert "cannot set a container image tag as an alias and also set import flags" in page
    assert not Tag.objects.get(pk=alias.tag.pk).scheduled


def test_triggers_are_disabled_and_enabled_through_the_service(operator, team):
    trigger = trigger_create(
        project=team, name="hook", stream="app", url="https://example.com/", by=acting_system()
    )
    page = act(operator, "triggers/trigger", "disable", [trigger])
    assert "Trigger team/hook paused" in page
    trigger.refresh_from_db()
    assert (trigger.enabled, trigger.paused) == (False, True)
    Trigger.objects.filter(pk=trigger.pk).update(disabled_reason="failed", consecutive_failures=5)
    act(operator, "triggers/trigger", "enable", [trigger])
    trigger.refresh_from_db()
    assert (trigger.enabled, trigger.disabled_reason, trigger.consecutive_failures) == (
        True,
        "",
        0,
    )
    assert AuditEvent.objects.filter(action="trigger.update").count() == 2


def test_a_failed_delivery_is_sent_again(
    operator, team, receiver, django_capture_on_commit_callbacks
):
    trigger_create(
        project=team, name="hook", stream="app", url=f"{receiver.url}/hook", by=acting_system()
    )
    receiver.answer(400)
    with django_capture_on_commit_callbacks(execute=True):
        tag_set(
            project=team,
            source="quay.io/example/app:1",
            destinations=["app:1"],
            options=TagOptions(reference=True),
            by=acting_system(),
        )
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        page = act(operator, "triggers/delivery", "resend", [delivery])
    receiver.wait_for(2)
    assert f"Delivery {delivery.uuid} queued to be sent again." in page
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 2


def test_a_test_delivery_cannot_be_resent(operator, team):
    trigger = trigger_create(
        project=team, name="hook", stream="app", url="https://example.com/", by=acting_system()
    )
    delivery = Delivery.objects.create(trigger=trigger, kind="test", status="failed")
    page = act(operator, "triggers/delivery", "resend", [delivery])
    assert "test deliveries cannot be re-sent; send a new test instead" in page


def test_tokens_of_users_and_service_accounts_are_revoked(operator, team, personas):
    personal, _ = token_create(by=acting(personas["editor"], "task"), name="laptop")
    account = service_account_create(project=team, name="ci", role="editor", by=acting_system())
    pipeline, _ = service_account_token_create(account=account, name="pipeline", by=acting_system())
    page = act(operator, "imagestreams/apitoken", "revoke", [personal, pipeline])
    assert f"Token {personal} revoked." in page
    assert f"Token {pipeline} revoked." in page
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="token.revoke").count() == 2


def test_a_project_added_in_the_admin_has_its_creator_as_admin(operator):
    response = operator.post(
        "/admin/imagestreams/project/add/",
        {"name": "new-team", "display_name": "New", "description": ""},
    )
    assert response.status_code == 302
    project = Project.objects.get(name="new-team")
    root = get_user_model().objects.get(username="root")
    assert Membership.objects.get(project=project).user == root
    refused = operator.post(
        "/admin/imagestreams/project/add/", {"name": "Bad_Name", "display_name": ""}
    )
    assert "Project names use lowercase letters" in refused.content.decode()


def test_the_last_admin_of_a_project_cannot_be_removed(operator, team, personas):
    membership = Membership.objects.get(project=team, user=personas["admin"])
    response = operator.post(
        f"/admin/imagestreams/membership/{membership.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "must keep at least one admin; make someone else admin first" in (
        response.content.decode().replace("&quot;", '"')
    )
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_members_are_set_through_the_teams_service(operator, team, personas):
    response = operator.post(
        "/admin/imagestreams/membership/add/",
        {"project": team.pk, "user": personas["outsider"].pk, "role": "viewer"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(project=team, user=personas["outsider"]).role == "viewer"
    assert AuditEvent.objects.filter(action="member.set", target="outsider").exists()
