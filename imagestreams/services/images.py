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
        _manifest_row(image, position, descriptor, child)
        for position, (descriptor, child) in enumerate(children)
    )
    return image


def images_upsert(items: list[tuple[FetchedImage, str]]) -> dict[str, Image]:
    """`image_upsert` for many (image, repository) pairs in a few statements:
    the Images by digest. The same rows as calling `image_upsert` on each in
    order: the first pair that brings a new digest names its repository, and
    the children of an image already known are left as they are."""
    wanted = {digest for fetched, _ in items for digest in _digests(fetched)}
    known: dict[str, Image] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start : start + LOOKUP_CHUNK]
        known.update((image.digest, image) for image in Image.objects.filter(digest__in=chunk))
    new: dict[str, tuple[FetchedImage, Image]] = {}
    for fetched, repository in items:
        _plan_new(fetched, repository, known, new)
    if not new:
        return known
    Image.objects.bulk_create([image for _, image in new.values()], batch_size=BATCH)
    ImageManifest.objects.bulk_create(
        (
            _manifest_row(image, position, descriptor, known[child.digest])
            for fetched, image in new.values()
            for position, (descriptor, child) in enumerate(fetched.children)
        ),
        batch_size=BATCH,
    )
    return known


LOOKUP_CHUNK = 500  # digests per SELECT
BATCH = 500  # rows per INSERT (SQLite allows fewer; Django splits further)


def _digests(fetched: FetchedImage):
    yield fetched.digest
    for _, child in fetched.children:
        yield from _digests(child)


def _plan_new(fetched, repository, known, new) -> None:
    """Children first (they must exist before their parent's manifest rows)."""
    if fetched.digest in known:
        return
    for _, child in fetched.children:
        _plan_new(child, repository, known, new)
    image = Image(**_image_fields(fetched, repository=repository, managed=False))
    known[fetched.digest] = image
    new[fetched.digest] = (fetched, image)


def _manifest_row(parent: Image, position: int, descriptor, child: Image) -> ImageManifest:
    return ImageManifest(
        parent=parent,
        child=child,
        position=position,
        media_type=descriptor.media_type,
        size=descriptor.size,
        architecture=descriptor.platform.architecture if descriptor.platform else "",
        os=descriptor.platform.os if descriptor.platform else "",
        variant=descriptor.platform.variant if descriptor.platform else "",
    )


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
