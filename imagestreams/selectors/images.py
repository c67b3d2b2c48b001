"""Reads of image stream images (`stream@digest`)."""

from __future__ import annotations

from django.db.models import Prefetch

from imagestreams.models import Image, ImageManifest, ImageStream, Project
from imagestreams.services.errors import NotFound, ServiceError
from imagestreams.services.sources import image_of_stream


def stream_image_get(*, project: Project, stream: str, digest: str) -> Image:
    """The image of `stream` whose digest is `digest` or starts with it (unique
    prefix; Conflict when ambiguous), or a platform image of such an index."""
    found = ImageStream.objects.filter(project=project, name=stream).first()
    if found is None:
        raise NotFound(f'image stream "{stream}" not found', field="isimage")
    try:
        image = image_of_stream(found, digest)
    except ServiceError as exc:
        exc.field = "isimage"
        raise
    manifests = ImageManifest.objects.select_related("child")
    return (
        Image.objects.defer("manifest", "config_raw")
        .prefetch_related(Prefetch("manifests", queryset=manifests))
        .get(pk=image.pk)
    )


def images_by_digest(digests: list[str]) -> dict[str, Image]:
    """Stored images with their platforms, by digest, in constant queries."""
    manifests = ImageManifest.objects.select_related("child")
    images = (
        Image.objects.filter(digest__in=set(digests))
        .defer("manifest", "config_raw")
        .prefetch_related(Prefetch("manifests", queryset=manifests))
    )
    return {image.digest: image for image in images}
