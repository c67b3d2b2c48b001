"""`tag` semantics (oc tag) without any registry: sources that are tags and
images of streams, aliases, references, deletion, all-or-nothing validation."""

from __future__ import annotations

import pytest

from imagestreams.access import acting, acting_system
from imagestreams.models import ImageStream, Tag
from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.services.errors import Conflict, InvalidInput, NotFound
from imagestreams.services.history import NewEvent, tag_add_event_and_follow
from imagestreams.services.tagging import TagOptions, tag_delete, tag_set
from tests.factories import ImageFactory, ProjectFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def python_36():
    """Stream `python` in project `team` whose tag 3.6 holds one image."""
    head = TagEventFactory(
        tag__stream__project__name="team", tag__stream__name="python", tag__name="3.6"
    )
    return head


def current(project, stream, tag):
    return Tag.objects.get(stream__project=project, stream__name=stream, name=tag).events.first()


def test_tagging_from_a_tag_pins_the_current_image(python_36):
    project = python_36.tag.stream.project
    [result] = tag_set(
        project=project, source="python:3.6", destinations=["python:stable"], by=acting_system()
    )
    tag = result.tag
    assert tag.from_kind == SourceKind.IMAGE_STREAM_IMAGE
    assert tag.from_name == f"python@{python_36.image.digest}"
    assert result.message == f"Tag python:stable set to python@{python_36.image.digest}."
    assert current(project, "python", "stable").image == python_36.image
    # A later change of the source does not move a permanent tag.
    tag_add_event_and_follow(python_36.tag, NewEvent("x/y@sha256:1", ImageFactory(), 9, "import"))
    assert current(project, "python", "stable").image == python_36.image


def test_an_alias_follows_its_source(python_36):
    project = python_36.tag.stream.project
    [result] = tag_set(
        project=project,
        source="python:3.6",
        destinations=["python:latest"],
        options=TagOptions(alias=True),
        by=acting_system(),
    )
    assert result.message == "Tag python:latest set up to track python:3.6."
    assert result.tag.from_kind == SourceKind.IMAGE_STREAM_TAG
    newer = ImageFactory()
    tag_add_event_and_follow(python_36.tag, NewEvent("q/p@" + newer.digest, newer, 9, "import"))
    assert current(project, "python", "latest").image == newer


def test_an_alias_across_streams_is_refused(python_36):
    with pytest.raises(InvalidInput, match="cannot set alias across different Image Streams"):
        tag_set(
            project=python_36.tag.stream.project,
            source="python:3.6",
            destinations=["other:latest"],
            options=TagOptions(alias=True),
            by=acting_system(),
        )


def test_import_flags_need_an_external_image(python_36):
    with pytest.raises(InvalidInput, match="only container images can have importing flags set"):
        tag_set(
            project=python_36.tag.stream.project,
            source="python:3.6",
            destinations=["python:x"],
            options=TagOptions(scheduled=True),
            by=acting_system(),
        )


def test_a_source_without_an_image_is_refused():
    tag = TagFactory(stream__project__name="team", stream__name="python", name="empty")
    with pytest.raises(InvalidInput, match='"python:empty" is not currently pointing to an image'):
        tag_set(
            project=tag.stream.project,
            source="python:empty",
            destinations=["python:x"],
            by=acting_system(),
        )


def test_an_external_source_is_imported_after_commit(django_capture_on_commit_callbacks):
    project = ProjectFactory(name="team")
    with django_capture_on_commit_callbacks() as callbacks:
        [result] = tag_set(
            project=project,
            source="docker.io/library/python:3.6.0",
            destinations=["python:3.6"],
            options=TagOptions(scheduled=True),
            by=acting_system(),
        )
    tag = result.tag
    assert result.message == (
        "Tag python:3.6 set to import docker.io/library/python:3.6.0 periodically."
    )
    assert (tag.from_kind, tag.scheduled, tag.generation) == (SourceKind.DOCKER_IMAGE, True, 2)
    assert tag.import_pending(None)
    # One import queued on commit (besides forgetting the stream's cached version).
    assert len([c for c in callbacks if "tag_import_task" in repr(c)]) == 1
    assert tag.events.count() == 0


def test_a_reference_tag_is_recorded_at_once_without_an_image():
    project = ProjectFactory(name="team")
    [result] = tag_set(
        project=project,
        source="quay.io/x/y:1",
        destinations=["y:1"],
        options=TagOptions(reference=True),
        by=acting_system(),
    )
    event = result.tag.events.get()
    assert (event.docker_image_reference, event.image, event.cause) == (
        "quay.io/x/y:1",
        None,
        EventCause.REFERENCE,
    )


def test_several_destinations_are_created_together(python_36):
    project = python_36.tag.stream.project
    results = tag_set(
        project=project, source="python:3.6", destinations=["a:1", "b:1"], by=acting_system()
    )
    assert [r.message.split()[1] for r in results] == ["a:1", "b:1"]
    assert set(ImageStream.objects.filter(project=project).values_list("name", flat=True)) == {
        "python",
        "a",
        "b",
    }


def test_one_bad_destination_writes_nothing(python_36):
    project = python_36.tag.stream.project
    with pytest.raises(InvalidInput, match='invalid tag "-bad" format'):
        tag_set(
            project=project, source="python:3.6", destinations=["a:1", "b:-bad"], by=acting_system()
        )
    assert not ImageStream.objects.filter(name__in=["a", "b"]).exists()


def test_a_destination_needs_a_tag(python_36):
    with pytest.raises(InvalidInput, match='"python" must be of the form <stream_name>:<tag>'):
        tag_set(
            project=python_36.tag.stream.project,
            source="python:3.6",
            destinations=["python"],
            by=acting_system(),
        )


def test_an_exact_image_may_be_named_by_a_unique_prefix(python_36):
    project = python_36.tag.stream.project
    prefix = python_36.image.digest[:20]
    [result] = tag_set(
        project=project,
        source=f"python@{prefix}",
        destinations=["python:pinned"],
        by=acting_system(),
    )
    assert result.tag.from_name == f"python@{python_36.image.digest}"


def test_an_ambiguous_prefix_is_a_conflict(python_36):
    project = python_36.tag.stream.project
    TagEventFactory(tag=python_36.tag, image=ImageFactory(digest="sha256:" + "a" * 63 + "1"))
    TagEventFactory(tag=python_36.tag, image=ImageFactory(digest="sha256:" + "a" * 63 + "2"))
    with pytest.raises(Conflict, match="multiple images match the prefix"):
        tag_set(
            project=project,
            source="python@sha256:aaaa",
            destinations=["python:x"],
            by=acting_system(),
        )


def test_an_unknown_image_is_not_found(python_36):
    with pytest.raises(NotFound):
        tag_set(
            project=python_36.tag.stream.project,
            source="python@sha256:ffff",
            destinations=["python:x"],
            by=acting_system(),
        )


def test_a_registry_host_is_refused_for_stream_sources():
    with pytest.raises(InvalidInput, match="server in SOURCE is only allowed"):
        tag_set(
            project=ProjectFactory(),
            source="quay.io/x/y:1",
            source_kind="istag",
            destinations=["y:1"],
            by=acting_system(),
        )


def test_a_source_in_another_project_is_tagged_with_its_namespace(python_36):
    mine = ProjectFactory(name="mine")
    [result] = tag_set(
        project=mine, source="team/python:3.6", destinations=["python:3.6"], by=acting_system()
    )
    assert result.tag.from_namespace == "team"
    assert result.message == f"Tag python:3.6 set to team/python@{python_36.image.digest}."
    assert current(mine, "python", "3.6").image == python_36.image


def test_retagging_the_same_image_adds_no_history(python_36):
    project = python_36.tag.stream.project
    tag_set(
        project=project, source="python:3.6", destinations=["python:stable"], by=acting_system()
    )
    tag_set(
        project=project, source="python:3.6", destinations=["python:stable"], by=acting_system()
    )
    assert Tag.objects.get(stream__name="python", name="stable").events.count() == 1


def test_deleting_removes_spec_and_history(python_36):
    project = python_36.tag.stream.project
    messages = tag_delete(project=project, destinations=["python:3.6"], by=acting_system())
    assert messages == ["Deleted tag team/python:3.6."]
    assert not Tag.objects.filter(name="3.6").exists()


def test_deleting_a_missing_tag_is_not_found_and_deletes_nothing(python_36):
    project = python_36.tag.stream.project
    with pytest.raises(NotFound):
        tag_delete(project=project, destinations=["python:3.6", "python:nope"], by=acting_system())
    assert Tag.objects.filter(name="3.6").exists()


def test_tagging_needs_a_principal_and_never_skips_the_access_check(python_36, personas):
    project = python_36.tag.stream.project
    with pytest.raises(TypeError, match="by"):
        tag_set(project=project, source="python:3.6", destinations=["python:x"])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="by"):
        tag_delete(project=project, destinations=["python:3.6"])  # type: ignore[call-arg]
    outsider = personas["outsider"]
    with pytest.raises(NotFound):
        tag_set(
            project=project,
            source="python:3.6",
            destinations=["python:x"],
            by=acting(outsider, "task"),
        )
    [result] = tag_set(
        project=project, source="python:3.6", destinations=["python:x"], by=acting_system()
    )
    assert result.tag.name == "x"


@pytest.mark.parametrize("name", ["café", "1\n", "-x", "x" * 129])
def test_a_tag_row_refuses_names_outside_the_docker_grammar(name):
    # One grammar for models, services and the CLI: the model's validator
    # (admin forms) once accepted Unicode letters and a trailing newline.
    from django.core.exceptions import ValidationError

    from imagestreams.models.streams import tag_name_validator

    with pytest.raises(ValidationError):
        tag_name_validator(name)
