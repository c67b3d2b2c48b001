"""ImageStreamTag: `stream:tag` with its current image."""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from imagestreams.api.serializers.images import ImageSerializer, facts_of_image
from imagestreams.api.serializers.streams import (
    ConditionSerializer,
    SpecSerializer,
    conditions_of,
    spec_of,
)
from imagestreams.models import Tag, TagEvent
from imagestreams.selectors.istags import head_of
from imagestreams.selectors.tags import pull_spec_for


class ImageStreamTagSerializer(serializers.Serializer):
    """Serializes a Tag with `head_events` (selectors.istags) whose head has an image."""

    name = serializers.SerializerMethodField()
    stream = serializers.CharField(source="stream.name")
    tag = serializers.CharField(source="name")
    created = serializers.SerializerMethodField()
    generation = serializers.SerializerMethodField()
    spec = serializers.SerializerMethodField()
    conditions = serializers.SerializerMethodField()
    lookup_local = serializers.BooleanField(source="stream.lookup_local")
    image = serializers.SerializerMethodField()

    def get_name(self, tag: Tag) -> str:
        return f"{tag.stream.name}:{tag.name}"

    def get_created(self, tag: Tag) -> datetime:
        return _current(tag).created

    def get_generation(self, tag: Tag) -> int:
        return _current(tag).generation

    @extend_schema_field(SpecSerializer(allow_null=True))
    def get_spec(self, tag: Tag) -> dict | None:
        return spec_of(tag)

    @extend_schema_field(ConditionSerializer(many=True))
    def get_conditions(self, tag: Tag) -> list[dict]:
        return conditions_of(tag)

    @extend_schema_field(ImageSerializer)
    def get_image(self, tag: Tag) -> dict:
        head = _current(tag)
        assert head.image is not None  # see _current
        # Consumers pull what the reference policy says (Local: through the
        # integrated registry), not necessarily where the image came from.
        return ImageSerializer(facts_of_image(head.image, pull_spec_for(tag, head))).data


def _current(tag: Tag) -> TagEvent:
    """The tag's current history entry: image stream tags are only listed and
    read while it has an image (the selectors leave the others out)."""
    head = head_of(tag)
    assert head is not None
    return head
