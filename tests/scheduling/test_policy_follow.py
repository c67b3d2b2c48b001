"""Tags following "the highest upstream tag matching a rule", with a real registry."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.scheduling.services import tag_set_policy
from imagestreams.services.errors import InvalidInput
from imagestreams.services.tagging import TagOptions, tag_set
from tests.scheduling.conftest import INTERVAL, history

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

SEMVER_1 = {"kind": "semver", "range": "^1.0"}


@pytest.fixture
def upstream(registry, pusher, unique_repo):
    client = pusher(registry)

    def push(tag: str):
        return client.push_image(unique_repo, tag, text=tag)

    push.repository = f"{registry.host}/{unique_repo}"
    return push


def test_setting_a_policy_points_the_tag_at_the_chosen_upstream_tag(upstream, schedule):
    for name in ("1.0.0", "1.4.2", "2.0.0", "latest"):
        upstream(name)
    tag = schedule("app:stable", f"{upstream.repository}:latest")
    result = tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    assert result.chosen_tag == "1.4.2"
    assert result.message.endswith("now at 1.4.2.")
    tag.refresh_from_db()
    assert tag.from_name == f"{upstream.repository}:1.4.2"
    assert (tag.policy_tag, tag.scheduled) == ("1.4.2", True)
    assert tag.policy == {"kind": "semver", "range": "^1.0", "repository": upstream.repository}


def test_a_scheduled_check_follows_a_new_matching_tag(upstream, schedule, run_due):
    first = upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    run_due(INTERVAL)
    run_due(2 * INTERVAL)
    assert history(tag) == [first.digest]

    upstream("2.0.0")  # outside the range: ignored
    newer = upstream("1.1.0")
    [report] = run_due(3 * INTERVAL)
    assert report.changed == 1
    tag.refresh_from_db()
    assert tag.from_name == f"{upstream.repository}:1.1.0"
    assert tag.policy_tag == "1.1.0"
    assert history(tag) == [newer.digest, first.digest]
    head = tag.events.first()
    assert (head.cause, head.actor) == ("scheduled", "policy:1.1.0")
    assert head.docker_image_reference == f"{upstream.repository}@{newer.digest}"


def test_an_unchanged_policy_check_lists_tags_and_heads_once(
    upstream, schedule, run_due, requests_seen
):
    upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    run_due(INTERVAL)
    requests_seen.clear()
    [report] = run_due(2 * INTERVAL)
    assert report.unchanged == 1
    assert requests_seen.to("GET", "/tags/list") == 1
    assert requests_seen.to("HEAD", "/manifests/") == 1
    assert requests_seen.to("GET", "/manifests/") == 0


def test_a_policy_that_matches_nothing_is_refused_and_nothing_written(upstream, schedule):
    upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    with pytest.raises(InvalidInput, match=r'no tag of repository ".*" matches the policy'):
        tag_set_policy(tag=tag, policy={"kind": "semver", "range": ">=5"}, by=acting_system())
    with pytest.raises(InvalidInput, match="a semver policy needs a range"):
        tag_set_policy(tag=tag, policy={"kind": "semver"}, by=acting_system())
    tag.refresh_from_db()
    assert (tag.policy, tag.from_name) == ({}, f"{upstream.repository}:1.0.0")


def test_a_policy_whose_tags_vanish_records_a_condition(
    registry, pusher, unique_repo, upstream, schedule, run_due
):
    only = upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    run_due(INTERVAL)
    pusher(registry).delete(unique_repo, only.digest)
    [report] = run_due(2 * INTERVAL)
    assert report.failed == 1
    tag.refresh_from_db()
    assert tag.condition_reason == "NotFound"
    assert "matches the policy (semver ^1.0)" in tag.condition_message
    assert history(tag) == [only.digest]


def test_retagging_replaces_the_policy(upstream, schedule, project):
    upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    tag_set(
        project=project,
        source=f"{upstream.repository}:1.0.0",
        destinations=["app:stable"],
        options=TagOptions(scheduled=True, insecure=True),
        by=acting_system(),
    )
    tag = Tag.objects.get(pk=tag.pk)
    assert (tag.policy, tag.policy_tag) == ({}, "")


def test_removing_the_policy_keeps_the_current_upstream_tag(upstream, schedule):
    upstream("1.2.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.2.0")
    tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    result = tag_set_policy(tag=Tag.objects.get(pk=tag.pk), policy=None, by=acting_system())
    assert result.message == "Tag app:stable follows no policy."
    tag.refresh_from_db()
    assert (tag.policy, tag.from_name) == ({}, f"{upstream.repository}:1.2.0")


def test_only_external_image_tags_can_follow_a_policy(schedule, upstream):
    upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    Tag.objects.filter(pk=tag.pk).update(reference=True)
    tag.refresh_from_db()
    with pytest.raises(InvalidInput, match="only such tags can follow a policy"):
        tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())


def test_changing_only_the_reference_policy_keeps_the_tag_policy(upstream, schedule, project):
    from imagestreams.services.tag_spec import tag_spec_update

    upstream("1.0.0")
    tag = schedule("app:stable", f"{upstream.repository}:1.0.0")
    tag_set_policy(tag=tag, policy=SEMVER_1, by=acting_system())
    tag = Tag.objects.get(pk=tag.pk)
    tag_spec_update(project=project, tag=tag, reference_policy="Local", by=acting_system())
    tag = Tag.objects.get(pk=tag.pk)
    assert (tag.reference_policy, tag.policy["kind"]) == ("Local", "semver")
    tag_spec_update(project=project, tag=tag, scheduled=False, by=acting_system())
    assert Tag.objects.get(pk=tag.pk).policy == {}
