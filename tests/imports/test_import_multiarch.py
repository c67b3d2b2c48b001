"""Manifest lists and OCI indexes: Legacy picks one platform, PreserveOriginal
keeps the index and every child."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models import Image, Tag
from imagestreams.services.imports import tag_import
from imagestreams.services.tagging import TagOptions, tag_set
from tests.factories import StreamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

PLATFORMS = ["linux/arm64/v8", "linux/amd64", "linux/s390x"]


@pytest.mark.parametrize("fmt", ["oci", "docker"])
def test_legacy_mode_imports_linux_amd64(registry, pusher, unique_repo, run_import, fmt):
    pushed = pusher(registry).push_image(unique_repo, "1", fmt=fmt, platforms=PLATFORMS)
    [status] = run_import("app:1", from_image=pushed.reference, confirm=True).statuses
    assert status.digest == pushed.children["linux/amd64"]
    image = Tag.objects.get(name="1").events.get().image
    assert (image.os, image.architecture) == ("linux", "amd64")
    assert not image.is_index
    assert not Image.objects.filter(digest=pushed.digest).exists()


def test_legacy_mode_honours_the_preferred_architecture(registry, pusher, unique_repo, project):
    pushed = pusher(registry).push_image(unique_repo, "1", platforms=PLATFORMS)
    tag = Tag.objects.create(
        stream=StreamFactory(project=project, name="app"),
        name="1",
        annotations={"importer.image.openshift.io/prefer-arch": "arm64"},
        from_kind="DockerImage",
        from_name=pushed.reference,
        insecure=True,
        generation=5,
    )
    status = tag_import(tag.pk, by=acting_system())
    assert status.digest == pushed.children["linux/arm64/v8"]
    image = tag.events.get().image
    assert (image.architecture, image.variant) == ("arm64", "v8")


@pytest.mark.parametrize("fmt", ["oci", "docker"])
def test_preserve_original_keeps_the_index_and_every_child(
    registry, pusher, unique_repo, run_import, fmt
):
    pushed = pusher(registry).push_image(unique_repo, "1", fmt=fmt, platforms=PLATFORMS)
    result = run_import(
        "app:1", from_image=pushed.reference, confirm=True, import_mode="PreserveOriginal"
    )
    assert result.statuses[0].digest == pushed.digest
    index = Tag.objects.get(name="1").events.get().image
    assert index.is_index
    entries = list(index.manifests.select_related("child"))
    assert [e.platform for e in entries] == ["linux/arm64/v8", "linux/amd64", "linux/s390x"]
    for entry in entries:
        assert entry.child.digest == pushed.children[entry.platform]
        assert entry.child.architecture == entry.architecture
        assert entry.child.layers


def test_tagging_an_external_image_imports_it_in_the_background(
    registry, pusher, unique_repo, project, django_capture_on_commit_callbacks
):
    pushed = pusher(registry).push_image(unique_repo, "1")
    with django_capture_on_commit_callbacks(execute=True):
        [result] = tag_set(
            project=project,
            source=pushed.reference,
            destinations=["app:1"],
            options=TagOptions(insecure=True),
            by=acting_system(),
        )
    tag = Tag.objects.get(pk=result.tag.pk)
    event = tag.events.get()
    assert event.image.digest == pushed.digest
    assert event.generation == tag.generation
