from __future__ import annotations

import hashlib

import factory
from django.utils import timezone

from imagestreams.models import Image, ImageStream, Project, Tag, TagEvent
from imagestreams.models.streams import EventCause, SourceKind


def fake_digest(seed: object) -> str:
    return "sha256:" + hashlib.sha256(str(seed).encode()).hexdigest()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"project-{n}")


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImageStream

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"stream{n}")


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    digest = factory.Sequence(fake_digest)
    media_type = "application/vnd.oci.image.manifest.v1+json"
    manifest = "{}"
    docker_image_reference = factory.LazyAttribute(lambda o: f"quay.io/example/app@{o.digest}")
    architecture = "amd64"
    os = "linux"


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    stream = factory.SubFactory(StreamFactory)
    name = factory.Sequence(lambda n: f"t{n}")
    from_kind = SourceKind.DOCKER_IMAGE
    from_name = "quay.io/example/app:latest"
    generation = 1


class TagEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TagEvent

    tag = factory.SubFactory(TagFactory)
    image = factory.SubFactory(ImageFactory)
    docker_image_reference = factory.LazyAttribute(
        lambda o: f"quay.io/example/app@{o.image.digest}"
    )
    generation = 1
    cause = EventCause.IMPORT
    created = factory.LazyFunction(timezone.now)
