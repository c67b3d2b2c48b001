from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.services.errors import Conflict, InvalidInput, NotFound
from imagestreams.services.rollback import tag_rollback
from tests.factories import ImageFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tag_with_history():
    """A scheduled tag whose history is [v3, v2, v1] (newest first)."""
    tag = TagFactory(name="latest", stream__name="app", scheduled=True)
    for version in ("v1", "v2", "v3"):
        TagEventFactory(tag=tag, image=ImageFactory(labels={"version": version}))
    return tag


def versions(tag):
    return [e.image.labels["version"] for e in tag.events.select_related("image")]


def test_it_rolls_back_one_step_by_default(tag_with_history):
    result = tag_rollback(tag=tag_with_history, by=acting_system())
    assert versions(tag_with_history) == ["v2", "v3", "v2", "v1"]
    assert result.event.cause == EventCause.ROLLBACK
    assert "no longer follows quay.io/example/app:latest (scheduled)" in result.message


def test_it_pins_the_tag_so_a_scheduled_import_cannot_undo_it(tag_with_history):
    tag_rollback(tag=tag_with_history, steps=2, by=acting_system())
    tag_with_history.refresh_from_db()
    v1 = tag_with_history.events.first().image
    assert tag_with_history.from_kind == SourceKind.IMAGE_STREAM_IMAGE
    assert tag_with_history.from_name == f"app@{v1.digest}"
    assert not tag_with_history.scheduled
    assert not tag_with_history.import_pending(tag_with_history.events.first())


def test_it_rolls_back_to_a_digest_prefix(tag_with_history):
    v1 = tag_with_history.events.last().image
    tag_rollback(tag=tag_with_history, to=v1.digest[:19], by=acting_system())
    assert versions(tag_with_history)[0] == "v1"


def test_rolling_back_to_the_current_image_is_refused(tag_with_history):
    head = tag_with_history.events.first().image
    TagEventFactory(tag=tag_with_history, image=head)  # history: v3, v3, v2, v1
    with pytest.raises(InvalidInput, match="already points to"):
        tag_rollback(tag=tag_with_history, steps=1, by=acting_system())


def test_too_many_steps_is_a_clear_error(tag_with_history):
    with pytest.raises(InvalidInput, match="has 3 history entries; cannot roll back 3 step"):
        tag_rollback(tag=tag_with_history, steps=3, by=acting_system())
    assert len(versions(tag_with_history)) == 3


def test_an_unknown_digest_is_not_found(tag_with_history):
    with pytest.raises(NotFound):
        tag_rollback(tag=tag_with_history, to="sha256:ffff", by=acting_system())


def test_an_ambiguous_prefix_is_a_conflict():
    tag = TagFactory()
    for suffix in "123":
        TagEventFactory(tag=tag, image=ImageFactory(digest="sha256:" + "b" * 63 + suffix))
    with pytest.raises(Conflict):
        tag_rollback(tag=tag, to="sha256:bbbb", by=acting_system())


def test_a_tag_without_history_cannot_roll_back():
    with pytest.raises(NotFound):
        tag_rollback(tag=TagFactory(), by=acting_system())
