from __future__ import annotations

import pytest

from imagestreams.models.streams import ReferencePolicy
from imagestreams.selectors.tags import tag_resolve
from imagestreams.services.errors import NotFound
from tests.factories import TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_source_policy_returns_the_recorded_pull_spec():
    event = TagEventFactory(tag__name="1")
    resolved = tag_resolve(stream=event.tag.stream, name="1")
    assert resolved.pull_spec == event.docker_image_reference
    assert resolved.digest == event.image.digest


def test_local_policy_pulls_through_the_integrated_registry(settings):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.local:5000"
    event = TagEventFactory(
        tag__name="1",
        tag__reference_policy=ReferencePolicy.LOCAL,
        tag__stream__name="app",
        tag__stream__project__name="team",
    )
    resolved = tag_resolve(stream=event.tag.stream, name="1")
    assert resolved.pull_spec == f"registry.local:5000/team/app@{event.image.digest}"


def test_local_policy_without_an_integrated_registry_uses_the_source():
    event = TagEventFactory(tag__name="1", tag__reference_policy=ReferencePolicy.LOCAL)
    assert tag_resolve(stream=event.tag.stream, name="1").pull_spec == event.docker_image_reference


def test_a_tag_awaiting_import_does_not_resolve():
    tag = TagFactory(name="new")
    with pytest.raises(NotFound, match="does not point to an image yet"):
        tag_resolve(stream=tag.stream, name="new")


def test_a_missing_tag_does_not_resolve():
    tag = TagFactory(name="new")
    with pytest.raises(NotFound, match="not found"):
        tag_resolve(stream=tag.stream, name="other")
