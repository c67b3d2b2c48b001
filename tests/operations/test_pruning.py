"""`manage.py prune_images` with OpenShift's rules, against a real registry
paired as the integrated registry (its pushed images are managed)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import AuditEvent, Image, ImageManifest, ImageStream, Tag, TagEvent
from imagestreams.operations.tasks import prune_images_task
from imagestreams.services.pushes import (
    integrated_registry_client,
    push_fetch,
    push_record,
    push_stream_lock,
    push_target,
)
from imagestreams.services.tagging import tag_set

pytestmark = [pytest.mark.django_db, pytest.mark.registry]
DRY_RUN = "Dry run enabled - no modifications will be made. Add --confirm to remove images"
PLATFORMS = ["linux/amd64", "linux/arm64/v8"]


@pytest.fixture
def integrated(registry, settings, team):
    settings.INTEGRATED_REGISTRY_URL = registry.url
    settings.INTERNAL_REGISTRY_HOSTNAME = registry.host
    return registry


@pytest.fixture
def lab(integrated, pusher):
    return pusher(integrated)


def push(lab, repository: str, tag: str, **image):
    """Push to the integrated registry and record it, as a notification does."""
    pushed = lab.push_image(repository, tag, **image)
    target = push_target(repository, tag)
    with integrated_registry_client() as client:
        fetched = push_fetch(client, repository, pushed.digest)
    with transaction.atomic():
        stream = push_stream_lock(target)
        push_record(stream=stream, target=target, fetched=fetched, by=acting_system())
    return pushed


def age(hours: float = 2) -> None:
    """Everything recorded so far happened `hours` ago."""
    then = timezone.now() - timedelta(hours=hours)
    ImageStream.objects.update(created=then)
    TagEvent.objects.update(created=then)
    Image.objects.update(created=then)


def prune(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("prune_images", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def history(stream: str, tag: str) -> list[str]:
    return list(
        TagEvent.objects.filter(tag__stream__name=stream, tag__name=tag).values_list(
            "image__digest", flat=True
        )
    )


@pytest.fixture
def five_pushes(lab):
    """team/app:1 pushed five times, two hours ago; newest first."""
    digests = [push(lab, "team/app", "1", text=f"build {n}").digest for n in range(5)]
    age()
    return digests[::-1]


def test_a_dry_run_lists_what_would_go_and_changes_nothing(five_pushes, lab):
    out, err = prune()
    assert err.strip() == DRY_RUN
    lines = out.splitlines()
    assert lines[0] == "Deleting 2 items from image stream team/app"
    for digest in five_pushes[3:]:
        assert f"Deleting image {digest}" in lines
        assert f"Deleting manifest link {digest} from repository team/app" in lines
    assert lines[-1] == (
        "Summary: deleted 2 image object(s), deleted 2 image stream tag item(s), "
        "updated 1 image stream(s), deleted 2 manifest link(s)"
    )
    assert history("app", "1") == five_pushes
    assert Image.objects.count() == 5
    assert all(lab.resolve("team/app", digest) for digest in five_pushes)


def test_confirm_keeps_three_revisions_and_deletes_the_rest_here_and_in_the_registry(
    five_pushes, lab
):
    out, err = prune("--confirm")
    assert err == ""
    assert out.splitlines()[-1].startswith("Summary: deleted 2 image object(s)")
    kept, pruned = five_pushes[:3], five_pushes[3:]
    assert history("app", "1") == kept
    assert set(Image.objects.values_list("digest", flat=True)) == set(kept)
    assert [lab.resolve("team/app", digest) for digest in pruned] == [None, None]
    assert all(lab.resolve("team/app", digest) for digest in kept)
    event = AuditEvent.objects.get(action="stream.prune")
    assert (event.actor, event.interface, event.target) == ("prune_images", "command", "app")
    assert event.after == {"deleted_items": 2}
    again, _ = prune("--confirm")
    assert again.strip() == "Summary: deleted 0 objects"


def test_the_current_image_is_never_pruned(five_pushes):
    prune("--confirm", "--keep-tag-revisions=0")
    assert history("app", "1") == five_pushes[:1]


def test_recent_entries_and_images_are_kept(lab):
    old = [push(lab, "team/app", "1", text=f"old {n}").digest for n in range(3)]
    age()
    recent = [push(lab, "team/app", "1", text=f"new {n}").digest for n in range(2)]
    prune("--confirm", "--keep-tag-revisions=1", "--keep-younger-than=1h")
    # The two recent ones are younger than an hour; of the old ones only the
    # newest would be a kept revision, but it is not the first revision any more.
    assert history("app", "1") == recent[::-1]
    assert not Image.objects.filter(digest__in=old).exists()


def test_a_stream_younger_than_the_limit_is_left_alone(lab):
    for n in range(5):
        push(lab, "team/app", "1", text=f"young {n}")
    TagEvent.objects.update(created=timezone.now() - timedelta(hours=2))
    out, _ = prune("--confirm")
    assert out.strip() == "Summary: deleted 0 objects"
    assert len(history("app", "1")) == 5


def test_an_image_a_tag_spec_pins_is_kept_in_the_history(five_pushes, team):
    oldest = five_pushes[-1]
    tag_set(project=team, source=f"app@{oldest}", destinations=["app:pinned"], by=acting_system())
    age()
    prune("--confirm")
    assert oldest in history("app", "1")
    assert history("app", "1") == [*five_pushes[:3], oldest]
    assert Image.objects.filter(digest=oldest).exists()


def test_the_platforms_of_a_kept_index_are_kept_and_those_of_a_pruned_one_go(lab):
    old = push(lab, "team/multi", "1", platforms=PLATFORMS, text="old index")
    new = push(lab, "team/multi", "1", platforms=PLATFORMS, text="new index")
    age()
    prune("--confirm", "--keep-tag-revisions=1")
    remaining = set(Image.objects.values_list("digest", flat=True))
    assert remaining == {new.digest, *new.child_digests}
    assert ImageManifest.objects.filter(parent__digest=new.digest).count() == 2
    assert lab.resolve("team/multi", old.digest) is None
    assert all(lab.resolve("team/multi", child) is None for child in old.child_digests)
    assert all(lab.resolve("team/multi", child) for child in new.child_digests)


def test_prune_registry_false_removes_database_objects_only(five_pushes, lab):
    out, err = prune("--confirm", "--prune-registry=false")
    assert "Only API objects will be removed." in err
    assert "manifest link" not in out
    assert not Image.objects.filter(digest__in=five_pushes[3:]).exists()
    assert all(lab.resolve("team/app", digest) for digest in five_pushes)


def test_all_false_keeps_images_that_were_not_pushed_here(five_pushes, team):
    external = Image.objects.get(digest=five_pushes[-1])
    Image.objects.filter(pk=external.pk).update(managed=False)
    prune("--confirm", "--all=false")
    assert history("app", "1") == five_pushes[:3]  # history is pruned all the same
    assert set(Image.objects.values_list("digest", flat=True)) == {
        *five_pushes[:3],
        external.digest,
    }


def test_a_project_limits_history_pruning_and_never_deletes_images(five_pushes, lab):
    out, _ = prune("--confirm", "--project=team")
    assert history("app", "1") == five_pushes[:3]
    assert Image.objects.count() == 5
    assert "Deleting image" not in out


def test_a_registry_that_fails_keeps_the_images_for_the_next_run(
    registry_factory, pusher, settings, team
):
    integrated = registry_factory()
    settings.INTEGRATED_REGISTRY_URL = integrated.url
    settings.INTERNAL_REGISTRY_HOSTNAME = integrated.host
    lab = pusher(integrated)
    digests = [push(lab, "team/app", "1", text=f"flaky {n}").digest for n in range(4)]
    age()
    integrated.stop()
    err = StringIO()
    with pytest.raises(CommandError, match=r"error\(s\) while pruning; run it again later"):
        call_command("prune_images", "--confirm", stdout=StringIO(), stderr=err)
    assert f"error: failed to delete manifest link {digests[0]}" in err.getvalue()
    assert Image.objects.filter(digest=digests[0]).exists()  # kept: its manifest is still there
    assert history("app", "1") == digests[:0:-1]  # the history entry itself went

    integrated.start()
    prune("--confirm")
    assert not Image.objects.filter(digest=digests[0]).exists()
    assert lab.resolve("team/app", digests[0]) is None


def test_bad_arguments_are_explained(db):
    with pytest.raises(CommandError, match='invalid duration "ten minutes"'):
        call_command("prune_images", "--keep-younger-than=ten minutes", stderr=StringIO())
    with pytest.raises(CommandError, match="--keep-tag-revisions must be 0 or more"):
        call_command("prune_images", "--keep-tag-revisions=-1", stderr=StringIO())
    with pytest.raises(CommandError, match='project "nope" has no image streams'):
        call_command("prune_images", "--project=nope", stderr=StringIO())


def test_the_scheduled_prune_confirms_with_the_configured_rules(five_pushes, settings):
    settings.PRUNE_KEEP_TAG_REVISIONS = 2
    settings.PRUNE_KEEP_YOUNGER_THAN = "30m"
    summary = prune_images_task()
    assert summary.startswith("Summary: deleted 3 image object(s), deleted 3 image stream tag")
    assert history("app", "1") == five_pushes[:2]
    assert Tag.objects.get(name="1").events.count() == 2
