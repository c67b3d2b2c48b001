"""OpenShift's AddTagEventToImageStream rules and alias following."""

from __future__ import annotations

import pytest

from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.services.history import (
    HistoryChange,
    NewEvent,
    tag_add_event,
    tag_add_event_and_follow,
)
from tests.factories import ImageFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db


def event(image, generation=2, reference=None):
    return NewEvent(
        reference=reference or f"quay.io/example/app@{image.digest}",
        image=image,
        generation=generation,
        cause=EventCause.IMPORT,
    )


def history(tag):
    return [(e.docker_image_reference, e.image_id, e.generation) for e in tag.events.all()]


def test_it_starts_history_with_the_first_event():
    tag = TagFactory()
    image = ImageFactory()
    assert tag_add_event(tag, event(image)) is HistoryChange.PREPENDED
    assert history(tag) == [(f"quay.io/example/app@{image.digest}", image.pk, 2)]


def test_it_prepends_when_reference_and_image_both_differ():
    head = TagEventFactory()
    new_image = ImageFactory()
    assert tag_add_event(head.tag, event(new_image)) is HistoryChange.PREPENDED
    assert [e.image_id for e in head.tag.events.all()] == [new_image.pk, head.image_id]


def test_identical_event_changes_nothing():
    head = TagEventFactory(generation=2)
    same = event(head.image, generation=2, reference=head.docker_image_reference)
    assert tag_add_event(head.tag, same) is HistoryChange.NONE
    assert head.tag.events.count() == 1


def test_same_reference_and_image_only_refreshes_generation():
    head = TagEventFactory(generation=2)
    newer = event(head.image, generation=5, reference=head.docker_image_reference)
    assert tag_add_event(head.tag, newer) is HistoryChange.GENERATION
    assert history(head.tag) == [(head.docker_image_reference, head.image_id, 5)]


def test_same_image_new_reference_updates_the_head_in_place():
    head = TagEventFactory()
    moved = event(head.image, generation=3, reference=f"mirror.example/app@{head.image.digest}")
    assert tag_add_event(head.tag, moved) is HistoryChange.UPDATED
    assert history(head.tag) == [(f"mirror.example/app@{head.image.digest}", head.image_id, 3)]


def test_same_reference_new_image_updates_the_head_in_place():
    head = TagEventFactory(docker_image_reference="quay.io/example/app:1")
    other = ImageFactory()
    assert (
        tag_add_event(head.tag, event(other, 3, "quay.io/example/app:1")) is HistoryChange.UPDATED
    )
    assert history(head.tag) == [("quay.io/example/app:1", other.pk, 3)]


def test_any_change_clears_the_import_condition():
    head = TagEventFactory(tag__condition_reason="NotFound", tag__condition_message="gone")
    tag_add_event(head.tag, event(ImageFactory()))
    head.tag.refresh_from_db()
    assert head.tag.condition_reason == ""
    assert head.tag.condition_message == ""


def test_history_may_hold_the_same_image_twice():
    first = TagEventFactory()
    second = ImageFactory()
    tag_add_event(first.tag, event(second, 2))
    tag_add_event(first.tag, event(first.image, 3))
    assert [e.image_id for e in first.tag.events.all()] == [
        first.image_id,
        second.pk,
        first.image_id,
    ]


def test_aliases_follow_their_target_transitively():
    target = TagFactory(name="3.6")
    stream = target.stream
    alias = TagFactory(
        stream=stream,
        name="3",
        from_kind=SourceKind.IMAGE_STREAM_TAG,
        from_name="3.6",
        generation=4,
    )
    alias_of_alias = TagFactory(
        stream=stream,
        name="latest",
        from_kind=SourceKind.IMAGE_STREAM_TAG,
        from_name=f"{stream.name}:3",
        generation=7,
    )
    image = ImageFactory()
    changes = tag_add_event_and_follow(target, event(image))
    assert [tag.name for tag, _ in changes] == ["3.6", "3", "latest"]
    assert alias.events.get().image == image
    assert alias.events.get().generation == 4
    assert alias_of_alias.events.get().cause == EventCause.ALIAS


def test_tags_of_other_streams_do_not_follow():
    target = TagFactory(name="3.6")
    other = TagFactory(name="x", from_kind=SourceKind.IMAGE_STREAM_TAG, from_name="3.6")
    tag_add_event_and_follow(target, event(ImageFactory()))
    assert other.events.count() == 0


def test_circular_aliases_terminate():
    target = TagFactory(name="a", from_kind=SourceKind.IMAGE_STREAM_TAG, from_name="b")
    TagFactory(stream=target.stream, name="b", from_kind=SourceKind.IMAGE_STREAM_TAG, from_name="a")
    changes = tag_add_event_and_follow(target, event(ImageFactory()))
    assert sorted(tag.name for tag, _ in changes) == ["a", "b"]
