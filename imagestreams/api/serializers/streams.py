"""ImageStream, its tags (spec and status) and their histories."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from imagestreams.models import ImageStream, Tag


class TagEventSerializer(serializers.Serializer):
    created = serializers.DateTimeField()
    reference = serializers.CharField(source="docker_image_reference")
    image = serializers.CharField(source="digest", help_text="sha256:… or empty")
    generation = serializers.IntegerField()
    cause = serializers.CharField()
    actor = serializers.CharField()


class ObjectReferenceSerializer(serializers.Serializer):
    kind = serializers.CharField(source="from_kind")
    name = serializers.CharField(source="from_name")
    namespace = serializers.CharField(source="from_namespace")


class SpecSerializer(serializers.Serializer):
    """Where a tag comes from and how it is updated (OpenShift TagReference)."""

    reference = serializers.BooleanField()
    scheduled = serializers.BooleanField()
    insecure = serializers.BooleanField()
    import_mode = serializers.CharField()
    reference_policy = serializers.CharField()
    annotations = serializers.DictField(child=serializers.CharField())
    generation = serializers.IntegerField()

    def get_fields(self):
        # `from` is a Python keyword, so it cannot be declared as an attribute.
        source = serializers.SerializerMethodField(method_name="get_from")
        return {"from": source, **super().get_fields()}

    @extend_schema_field(ObjectReferenceSerializer(allow_null=True))
    def get_from(self, tag: Tag) -> dict | None:
        return ObjectReferenceSerializer(tag).data if tag.from_kind else None


class ConditionSerializer(serializers.Serializer):
    type = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    message = serializers.CharField()
    generation = serializers.IntegerField()
    last_transition_time = serializers.DateTimeField(allow_null=True)


def conditions_of(tag: Tag) -> list[dict]:
    """OpenShift writes only failed ImportSuccess conditions; success clears them."""
    if not tag.has_condition:
        return []
    condition = {
        "type": "ImportSuccess",
        "status": "False",
        "reason": tag.condition_reason,
        "message": tag.condition_message,
        "generation": tag.condition_generation,
        "last_transition_time": tag.condition_time,
    }
    return [ConditionSerializer(condition).data]


def spec_of(tag: Tag) -> dict | None:
    """None for a tag that only received pushes. SpecSerializer's output,
    built directly: a stream's description has one per tag."""
    if not tag.has_spec:
        return None
    source = None
    if tag.from_kind:
        source = {"kind": tag.from_kind, "name": tag.from_name, "namespace": tag.from_namespace}
    return {
        "from": source,
        "reference": tag.reference,
        "scheduled": tag.scheduled,
        "insecure": tag.insecure,
        "import_mode": tag.import_mode,
        "reference_policy": tag.reference_policy,
        "annotations": {str(k): str(v) for k, v in tag.annotations.items()},
        "generation": tag.generation,
    }


_TIME = serializers.DateTimeField()


def event_of(event) -> dict:
    """TagEventSerializer's output, built directly (long histories have many)."""
    return {
        "created": _TIME.to_representation(event.created),
        "reference": event.docker_image_reference,
        "image": event.digest,
        "generation": event.generation,
        "cause": event.cause,
        "actor": event.actor,
    }


def described(stream: ImageStream, tags: list[Tag], history: dict[int, list[tuple]]) -> dict:
    """ImageStreamSerializer's output for one stream, from the rows of
    selectors.streams.stream_history (no instance per history entry)."""
    # One field for the whole answer: the time zone and format are looked up
    # once, not per history entry (the same text as _TIME's).
    time = serializers.DateTimeField(
        format=api_settings.DATETIME_FORMAT, default_timezone=_TIME.default_timezone()
    ).to_representation
    return {
        "name": stream.name,
        "project": stream.project.name,
        "created": time(stream.created),
        "generation": stream.generation,
        "lookup_local": stream.lookup_local,
        "annotations": {
            str(k): None if v is None else str(v) for k, v in stream.shown_annotations.items()
        },
        "repository": stream.repository,
        "spec_repository": stream.spec_repository,
        "tags": [
            {
                "name": tag.name,
                "spec": spec_of(tag),
                "items": [
                    {
                        "created": time(created),
                        "reference": reference,
                        "image": digest or "",
                        "generation": generation,
                        "cause": cause,
                        "actor": actor,
                    }
                    for created, reference, digest, generation, cause, actor in history[tag.pk]
                ],
                "conditions": conditions_of(tag),
                "import_pending": tag.import_pending_after(
                    history[tag.pk][0][3] if history[tag.pk] else 0
                ),
            }
            for tag in tags
        ],
    }


class NamedTagSerializer(serializers.Serializer):
    """One tag of a stream, with its whole history (`tag.events` prefetched)."""

    name = serializers.CharField()
    spec = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    conditions = serializers.SerializerMethodField()
    import_pending = serializers.SerializerMethodField()

    @extend_schema_field(SpecSerializer(allow_null=True))
    def get_spec(self, tag: Tag) -> dict | None:
        return spec_of(tag)

    @extend_schema_field(TagEventSerializer(many=True))
    def get_items(self, tag: Tag) -> list[dict]:
        return [event_of(event) for event in tag.events.all()]

    @extend_schema_field(ConditionSerializer(many=True))
    def get_conditions(self, tag: Tag) -> list[dict]:
        return conditions_of(tag)

    def get_import_pending(self, tag: Tag) -> bool:
        events = tag.events.all()
        return tag.import_pending(events[0] if events else None)

    def to_representation(self, tag: Tag) -> dict:
        # The fields above describe the schema; this is their output without
        # DRF's per-field machinery, run once per tag of every stream described.
        return {
            "name": tag.name,
            "spec": self.get_spec(tag),
            "items": self.get_items(tag),
            "conditions": self.get_conditions(tag),
            "import_pending": self.get_import_pending(tag),
        }


class ImageStreamSerializer(serializers.Serializer):
    name = serializers.CharField()
    project = serializers.CharField(source="project.name")
    created = serializers.DateTimeField()
    generation = serializers.IntegerField()
    lookup_local = serializers.BooleanField()
    annotations = serializers.DictField(
        source="shown_annotations",
        child=serializers.CharField(),
        help_text="With openshift.io/image.dockerRepositoryCheck: the last import that wrote it.",
    )
    repository = serializers.CharField(help_text="In the integrated registry, or empty.")
    spec_repository = serializers.CharField(help_text="Remote repository imported as a whole.")
    tags = NamedTagSerializer(source="tags.all", many=True, help_text="Sorted by name.")
