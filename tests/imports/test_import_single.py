"""Importing single tags from a real Distribution registry."""

from __future__ import annotations

import pytest

from imagestreams.models import Image, ImageStream, Tag
from imagestreams.services.errors import InvalidInput

pytestmark = [pytest.mark.django_db, pytest.mark.registry]


def history(stream_name: str, tag: str) -> list[str]:
    tag = Tag.objects.get(stream__name=stream_name, name=tag)
    return [event.image.digest for event in tag.events.select_related("image")]


@pytest.mark.parametrize("fmt", ["oci", "docker"])
def test_it_imports_an_image_and_its_metadata(registry, pusher, unique_repo, run_import, fmt):
    pushed = pusher(registry).push_image(
        unique_repo,
        "3.6",
        fmt=fmt,
        labels={"org.opencontainers.image.version": "3.6.15"},
        env=["PYTHON_VERSION=3.6.15"],
        cmd=["python3"],
        exposed_ports=["8080/tcp"],
        user="1001",
        workdir="/app",
        layers=2,
    )
    result = run_import("py:3.6", from_image=pushed.reference, confirm=True)
    assert result.message == "imagestream/py imported"
    [status] = result.statuses
    assert (status.status, status.digest) == ("Success", pushed.digest)
    assert status.reference == f"{registry.host}/{unique_repo}@{pushed.digest}"

    stream = ImageStream.objects.get(name="py")
    tag = stream.tags.get(name="3.6")
    event = tag.events.get()
    assert event.generation == tag.generation == stream.generation
    assert not tag.import_pending(event)
    image = event.image
    assert image.media_type == pushed.media_type
    assert image.labels == {"org.opencontainers.image.version": "3.6.15"}
    assert image.env == ["PYTHON_VERSION=3.6.15"]
    assert (image.cmd, image.user, image.working_dir) == (["python3"], "1001", "/app")
    assert image.exposed_ports == ["8080/tcp"]
    assert (image.os, image.architecture) == ("linux", "amd64")
    assert len(image.layers) == 2
    assert image.size == sum(layer["size"] for layer in image.layers) + len(
        image.config_raw.encode()
    )


def test_an_unchanged_upstream_adds_no_history(registry, pusher, unique_repo, run_import):
    pushed = pusher(registry).push_image(unique_repo, "1", text="one")
    run_import("app:1", from_image=pushed.reference, confirm=True)
    generation = ImageStream.objects.get(name="app").generation
    [status] = run_import("app:1").statuses
    assert status.status == "Unchanged"
    assert history("app", "1") == [pushed.digest]
    assert ImageStream.objects.get(name="app").generation == generation


def test_a_repushed_upstream_tag_is_prepended(registry, pusher, unique_repo, run_import):
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    run_import("app:1", from_image=first.reference, confirm=True)
    second = client.push_image(unique_repo, "1", text="two")
    assert second.digest != first.digest
    [status] = run_import("app:1").statuses
    assert status.status == "Success"
    assert history("app", "1") == [second.digest, first.digest]


def test_a_missing_stream_needs_confirm(registry, pusher, unique_repo, run_import):
    pushed = pusher(registry).push_image(unique_repo, "1")
    with pytest.raises(InvalidInput, match='no image stream named "app" exists, pass --confirm'):
        run_import("app:1", from_image=pushed.reference)
    assert not ImageStream.objects.exists()


def test_a_dry_run_writes_nothing(registry, pusher, unique_repo, run_import):
    pushed = pusher(registry).push_image(unique_repo, "1")
    result = run_import("app:1", from_image=pushed.reference, confirm=True, dry_run=True)
    assert result.message == "imagestream/app imported (dry run)"
    assert result.statuses[0].digest == pushed.digest
    assert not ImageStream.objects.exists()
    assert not Image.objects.exists()


def test_a_failed_import_keeps_the_last_good_image(registry, pusher, unique_repo, run_import):
    client = pusher(registry)
    pushed = client.push_image(unique_repo, "1")
    run_import("app:1", from_image=pushed.reference, confirm=True)
    client.delete(unique_repo, pushed.digest)

    [status] = run_import("app:1").statuses
    assert (status.status, status.reason) == ("Failure", "NotFound")
    tag = Tag.objects.get(name="1")
    assert tag.condition_reason == "NotFound"
    assert unique_repo in tag.condition_message
    assert tag.condition_generation == tag.generation
    assert history("app", "1") == [pushed.digest]
    first_failure = tag.condition_time

    run_import("app:1")  # the same failure again keeps its transition time
    tag.refresh_from_db()
    assert tag.condition_time == first_failure

    repushed = client.push_image(unique_repo, "1", text="back")
    assert run_import("app:1").statuses[0].status == "Success"
    tag.refresh_from_db()
    assert tag.condition_reason == ""
    assert history("app", "1") == [repushed.digest, pushed.digest]


def test_a_new_stream_whose_import_fails_is_not_created(registry, unique_repo, run_import):
    with pytest.raises(InvalidInput, match="import failed, image stream not created"):
        run_import("app:1", from_image=f"{registry.host}/{unique_repo}:nope", confirm=True)
    assert not ImageStream.objects.exists()


def test_plain_http_needs_the_insecure_flag(registry, pusher, unique_repo, run_import):
    pushed = pusher(registry).push_image(unique_repo, "1")
    run_import("app:1", from_image=pushed.reference, confirm=True)
    [status] = run_import("app:1", insecure=False).statuses
    # The tag keeps the insecure flag it was imported with (flags are OR-ed).
    assert status.status == "Unchanged"
    with pytest.raises(InvalidInput, match="HTTP only and requires the insecure flag"):
        run_import("other:1", from_image=pushed.reference, confirm=True, insecure=False)


def test_import_refuses_to_change_the_source_of_a_tag(registry, pusher, unique_repo, run_import):
    pushed = pusher(registry).push_image(unique_repo, "1")
    run_import("app:1", from_image=pushed.reference, confirm=True)
    with pytest.raises(
        InvalidInput, match="use the 'tag' command if you want to change the source"
    ):
        run_import("app:1", from_image=f"{registry.host}/{unique_repo}:2")


def test_import_of_an_unknown_tag_says_how_to_create_it(registry, pusher, unique_repo, run_import):
    pushed = pusher(registry).push_image(unique_repo, "1")
    run_import("app:1", from_image=pushed.reference, confirm=True)
    with pytest.raises(InvalidInput, match='the tag "2" does not exist on the image stream'):
        run_import("app:2")


def test_import_by_digest_is_refused(run_import):
    with pytest.raises(InvalidInput, match="to import images by ID, use the 'tag' command"):
        run_import("app@sha256:" + "a" * 64, confirm=True)
