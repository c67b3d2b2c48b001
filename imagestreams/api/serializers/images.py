"""Image and ImageStreamImage.

An image is shown the same way whether it is stored (Image) or was just
fetched by an import that is not stored yet (a dry run), so both are first
reduced to ImageFacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from imagestreams.models import Image
from imagestreams.registry.fetch import FetchedImage


@dataclass(frozen=True)
class ManifestFacts:
    digest: str
    media_type: str
    size: int
    os: str
    architecture: str
    variant: str


@dataclass(frozen=True)
class ImageFacts:
    digest: str
    media_type: str
    reference: str
    imported: datetime | None
    created: datetime | None
    author: str = ""
    architecture: str = ""
    os: str = ""
    variant: str = ""
    labels: dict = field(default_factory=dict)
    env: list = field(default_factory=list)
    cmd: list = field(default_factory=list)
    entrypoint: list = field(default_factory=list)
    exposed_ports: list = field(default_factory=list)
    user: str = ""
    working_dir: str = ""
    volumes: list = field(default_factory=list)
    layers: list = field(default_factory=list)
    size: int = 0
    manifests: list[ManifestFacts] = field(default_factory=list)


def facts_of_image(image: Image, reference: str = "") -> ImageFacts:
    """`reference`: the pull spec to show (a tag's reference policy), else the
    one where the image was first seen."""
    return ImageFacts(
        digest=image.digest,
        media_type=image.media_type,
        reference=reference or image.docker_image_reference,
        imported=image.created,
        created=image.image_created,
        author=image.author,
        architecture=image.architecture,
        os=image.os,
        variant=image.variant,
        labels=image.labels,
        env=image.env,
        cmd=image.cmd,
        entrypoint=image.entrypoint,
        exposed_ports=image.exposed_ports,
        user=image.user,
        working_dir=image.working_dir,
        volumes=image.volumes,
        layers=image.layers,
        size=image.size,
        manifests=[
            ManifestFacts(m.child.digest, m.media_type, m.size, m.os, m.architecture, m.variant)
            for m in image.manifests.all()
        ],
    )


def facts_of_fetched(fetched: FetchedImage, reference: str) -> ImageFacts:
    config = fetched.config
    platform = fetched.platform
    return ImageFacts(
        digest=fetched.digest,
        media_type=fetched.media_type,
        reference=reference,
        imported=None,
        created=config.created if config else None,
        author=config.author if config else "",
        architecture=platform.architecture if platform else "",
        os=platform.os if platform else "",
        variant=platform.variant if platform else "",
        labels=config.labels if config else {},
        env=config.env if config else [],
        cmd=config.cmd if config else [],
        entrypoint=config.entrypoint if config else [],
        exposed_ports=config.exposed_ports if config else [],
        user=config.user if config else "",
        working_dir=config.working_dir if config else "",
        volumes=config.volumes if config else [],
        layers=[
            {"digest": layer.digest, "size": layer.size, "media_type": layer.media_type}
            for layer in fetched.layers
        ],
        size=fetched.size,
        manifests=[
            ManifestFacts(
                d.digest,
                d.media_type,
                d.size,
                d.platform.os if d.platform else "",
                d.platform.architecture if d.platform else "",
                d.platform.variant if d.platform else "",
            )
            for d, _ in fetched.children
        ],
    )


class LayerSerializer(serializers.Serializer):
    digest = serializers.CharField()
    size = serializers.IntegerField()
    media_type = serializers.CharField()


class PlatformSerializer(serializers.Serializer):
    os = serializers.CharField()
    architecture = serializers.CharField()
    variant = serializers.CharField()


class ManifestSerializer(serializers.Serializer):
    """One platform of an index (PreserveOriginal imports)."""

    digest = serializers.CharField()
    media_type = serializers.CharField()
    size = serializers.IntegerField()
    platform = PlatformSerializer(source="*")


class ImageSerializer(serializers.Serializer):
    """Serializes ImageFacts."""

    digest = serializers.CharField()
    media_type = serializers.CharField()
    reference = serializers.CharField(help_text="Pull spec by digest.")
    imported = serializers.DateTimeField(
        allow_null=True, help_text="When this service first stored the image."
    )
    created = serializers.DateTimeField(
        allow_null=True, help_text="From the image config; null for an index."
    )
    author = serializers.CharField()
    architecture = serializers.CharField()
    os = serializers.CharField()
    variant = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    env = serializers.ListField(child=serializers.CharField())
    cmd = serializers.ListField(child=serializers.CharField())
    entrypoint = serializers.ListField(child=serializers.CharField())
    exposed_ports = serializers.ListField(child=serializers.CharField())
    user = serializers.CharField()
    working_dir = serializers.CharField()
    volumes = serializers.ListField(child=serializers.CharField())
    layers = LayerSerializer(many=True, help_text="Base to top.")
    size = serializers.IntegerField(help_text="Config plus unique layer sizes; 0 for an index.")
    manifests = ManifestSerializer(many=True, help_text="Platforms of an index; else empty.")


class ImageStreamImageSerializer(serializers.Serializer):
    """`stream@digest`; serializes (stream name, Image)."""

    name = serializers.SerializerMethodField()
    created = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()

    def get_name(self, pair) -> str:
        stream, image = pair
        return f"{stream}@{image.digest}"

    def get_created(self, pair) -> datetime:
        return pair[1].created

    @extend_schema_field(ImageSerializer)
    def get_image(self, pair) -> dict:
        return ImageSerializer(facts_of_image(pair[1])).data
