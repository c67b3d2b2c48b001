"""Storing image metadata fetched from a registry (never the bytes)."""

from __future__ import annotations

from imagestreams.models import Image, ImageManifest
from imagestreams.registry.fetch import FetchedImage


def image_upsert(fetched: FetchedImage, *, repository: str, managed: bool = False) -> Image:
    """The Image for `fetched`, created with its children if it is new.

    Images are immutable (named by digest), so an existing row is returned as
    it is. `repository` is the repository as typed by the user; the image's
    first pull spec is `<repository>@<digest>`.
    """
    existing = Image.objects.filter(digest=fetched.digest).first()
    if existing is not None:
        return existing
    children = [
        (descriptor, image_upsert(child, repository=repository, managed=managed))
        for descriptor, child in fetched.children
    ]
    image = Image.objects.create(**_image_fields(fetched, repository=repository, managed=managed))
    ImageManifest.objects.bulk_create(
        ImageManifest(
            parent=image,
            child=child,
            position=position,
            media_type=descriptor.media_type,
            size=descriptor.size,
            architecture=descriptor.platform.architecture if descriptor.platform else "",
            os=descriptor.platform.os if descriptor.platform else "",
            variant=descriptor.platform.variant if descriptor.platform else "",
        )
        for position, (descriptor, child) in enumerate(children)
    )
    return image


def _image_fields(fetched: FetchedImage, *, repository: str, managed: bool) -> dict:
    fields = {
        "digest": fetched.digest,
        "media_type": fetched.media_type,
        "manifest": fetched.manifest.decode("utf-8", errors="replace"),
        "config_raw": fetched.config_raw.decode("utf-8", errors="replace"),
        "docker_image_reference": f"{repository}@{fetched.digest}",
        "layers": [
            {"digest": layer.digest, "size": layer.size, "media_type": layer.media_type}
            for layer in fetched.layers
        ],
        "size": fetched.size,
        "managed": managed,
    }
    config = fetched.config
    if config is not None:
        fields.update(
            architecture=config.architecture,
            os=config.os,
            variant=config.variant,
            image_created=config.created,
            author=config.author,
            labels=config.labels,
            env=config.env,
            cmd=config.cmd,
            entrypoint=config.entrypoint,
            exposed_ports=config.exposed_ports,
            user=config.user,
            working_dir=config.working_dir,
            volumes=config.volumes,
        )
    elif fetched.platform is not None:
        fields.update(
            architecture=fetched.platform.architecture,
            os=fetched.platform.os,
            variant=fetched.platform.variant,
        )
    return fields
