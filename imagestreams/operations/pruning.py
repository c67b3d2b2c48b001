"""Pruning old history and unused images (`oc adm prune images`).

1. Every stream older than --keep-younger-than loses the history entries
   (revisions) that are: older than --keep-younger-than, not a tag's current
   image (revision 0 is never pruned), not among the newest
   --keep-tag-revisions of their tag, and not an image some tag spec pins
   (`stream@digest`, an ImageStreamImage source). Entries are deleted under
   the stream's lock, re-read, so a concurrent import is never undone.
2. Images are then deleted when no history entry and no spec references
   them, they are older than --keep-younger-than and no kept index lists
   them as a platform. Images pushed to the integrated registry (managed)
   are deleted there too, manifest by digest, before their row goes; a
   failed registry delete keeps the image for the next run.

Nothing is written unless `confirm`; the report then says what would go.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.integrated_registry import (
    integrated_registry_api_host,
    integrated_registry_configured,
    integrated_registry_pull_host,
)
from imagestreams.models import Image, ImageManifest, ImageStream, Tag, TagEvent
from imagestreams.models.streams import SourceKind
from imagestreams.registry.errors import RegistryError
from imagestreams.registry.reference import ImageReference
from imagestreams.services.errors import InvalidInput
from imagestreams.services.pushes import integrated_registry_client
from imagestreams.services.streams import stream_lock

logger = logging.getLogger(__name__)

DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")
UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> timedelta:
    """Go-style durations as oc takes them: 60m, 1h30m, 90s, 0."""
    text = text.strip()
    if text == "0":
        return timedelta(0)
    parts = DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise InvalidInput(
            f'invalid duration "{text}": use hours, minutes and seconds such as 60m, 1h30m or 90s'
        )
    return timedelta(seconds=sum(float(number) * UNIT_SECONDS[unit] for number, unit in parts))


@dataclass(frozen=True)
class PruneOptions:
    keep_tag_revisions: int = 3
    keep_younger_than: timedelta = timedelta(minutes=60)
    confirm: bool = False
    all_images: bool = True  # False: only images pushed to the integrated registry
    prune_registry: bool = True
    project: str = ""  # only this project's streams; no image is deleted then


@dataclass
class PruneStats:
    deleted_images: int = 0
    deleted_items: int = 0
    updated_streams: int = 0
    deleted_manifest_links: int = 0

    def __str__(self) -> str:
        parts = [
            (self.deleted_images, "deleted {} image object(s)"),
            (self.deleted_items, "deleted {} image stream tag item(s)"),
            (self.updated_streams, "updated {} image stream(s)"),
            (self.deleted_manifest_links, "deleted {} manifest link(s)"),
        ]
        shown = [text.format(count) for count, text in parts if count]
        return ", ".join(shown) or "deleted 0 objects"


@dataclass
class PruneReport:
    stats: PruneStats = field(default_factory=PruneStats)
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"Summary: {self.stats}"


Output = Callable[[str], None]


def images_prune(
    options: PruneOptions, *, by: Principal, out: Output | None = None, registry_client=None
) -> PruneReport:
    """Prune history and images as described above; `out` receives the
    progress lines ("Deleting …"). `registry_client` is for tests."""
    if options.keep_tag_revisions < 0:
        raise InvalidInput("--keep-tag-revisions must be 0 or more")
    if options.project and not ImageStream.objects.filter(project__name=options.project).exists():
        raise InvalidInput(f'project "{options.project}" has no image streams')
    run = _Run(options, by, out or (lambda line: None), registry_client)
    try:
        run.prune_streams()
        if not options.project:
            run.prune_images()
    finally:
        run.close()
    return run.report


class _Run:
    def __init__(self, options: PruneOptions, by: Principal, out: Output, registry_client) -> None:
        self.options = options
        self.by = by
        self.out = out
        self.cutoff = timezone.now() - options.keep_younger_than
        self.report = PruneReport()
        self.pinned = pinned_images()
        self.pruned_event_ids: set[int] = set()
        self.links: dict[tuple[str, str], bool] = {}  # (repository, digest): deleted?
        self.registry = _IntegratedRegistry(options, registry_client)

    def close(self) -> None:
        self.registry.close()

    # --- 1. history ------------------------------------------------------------

    def prune_streams(self) -> None:
        streams = ImageStream.objects.select_related("project").order_by("project__name", "name")
        if self.options.project:
            streams = streams.filter(project__name=self.options.project)
        for stream in streams.filter(created__lt=self.cutoff).iterator():
            self.prune_stream(stream)

    def prune_stream(self, stream: ImageStream) -> None:
        if self.options.confirm:
            with transaction.atomic():
                stream_lock(stream.pk)
                doomed = self._doomed_events(stream)
                TagEvent.objects.filter(pk__in=[e["id"] for e in doomed]).delete()
                if doomed:
                    audit.record(
                        "stream.prune",
                        by=self.by,
                        project=stream.project,
                        target=stream.name,
                        after={"deleted_items": len(doomed)},
                    )
        else:
            doomed = self._doomed_events(stream)
        if not doomed:
            return
        self.pruned_event_ids.update(e["id"] for e in doomed)
        name = f"{stream.project.name}/{stream.name}"
        self.out(f"Deleting {len(doomed)} items from image stream {name}")
        self.report.stats.deleted_items += len(doomed)
        self.report.stats.updated_streams += 1
        self._unlink_from_repository(stream, doomed)

    def _doomed_events(self, stream: ImageStream) -> list[Mapping[str, Any]]:
        """The history entries of `stream` that go, per the rules above."""
        events = (
            TagEvent.objects.filter(tag__stream=stream)
            .order_by("tag_id", "-id")
            .values("id", "tag_id", "created", "image_id", "image__digest", "image__managed")
        )
        pinned = self.pinned.get((stream.project.name, stream.name), set())
        revision: dict[int, int] = defaultdict(int)
        doomed: list[Mapping[str, Any]] = []
        for event in events:
            rev = revision[event["tag_id"]]
            revision[event["tag_id"]] += 1
            if rev == 0 or event["created"] > self.cutoff:
                continue
            if rev < self.options.keep_tag_revisions or event["image__digest"] in pinned:
                continue
            doomed.append(event)
        return doomed

    def _unlink_from_repository(self, stream: ImageStream, doomed: list[Mapping[str, Any]]) -> None:
        """Pushed images this stream no longer references leave its repository."""
        managed = {e["image_id"]: e["image__digest"] for e in doomed if e["image__managed"]}
        if not managed or not self.registry.enabled:
            return
        remaining = set(
            TagEvent.objects.filter(tag__stream=stream, image_id__in=managed)
            .exclude(pk__in=self.pruned_event_ids)
            .values_list("image_id", flat=True)
        )
        repository = f"{stream.project.name}/{stream.name}"
        for image_id, digest in sorted(managed.items(), key=lambda item: item[1]):
            if image_id not in remaining:
                self._delete_link(repository, digest)

    def _delete_link(self, repository: str, digest: str) -> bool:
        """True when the manifest is gone from the repository (or would be)."""
        key = (repository, digest)
        if key not in self.links:
            self.out(f"Deleting manifest link {digest} from repository {repository}")
            error = self.registry.delete(repository, digest) if self.options.confirm else ""
            if error:
                self.report.errors.append(f"failed to delete manifest link {digest}: {error}")
            else:
                self.report.stats.deleted_manifest_links += 1
            self.links[key] = not error
        return self.links[key]

    # --- 2. images -------------------------------------------------------------

    def prune_images(self) -> None:
        doomed = self._doomed_images()
        # Indexes first: their platform list goes with them, which frees the children.
        doomed.sort(key=lambda image: (not image.is_index, image.digest))
        for image in doomed:
            self.prune_image(image)

    def _doomed_images(self) -> list[Image]:
        used = TagEvent.objects.filter(image__isnull=False)
        if not self.options.confirm:
            used = used.exclude(pk__in=self.pruned_event_ids)  # as if deleted
        pinned_digests = {digest for digests in self.pinned.values() for digest in digests}
        candidates = (
            Image.objects.exclude(pk__in=used.values("image_id"))
            .exclude(digest__in=pinned_digests)
            .filter(created__lt=self.cutoff)
        )
        if not self.options.all_images:
            candidates = candidates.filter(managed=True)
        doomed = {image.pk: image for image in candidates.only(*IMAGE_FIELDS)}
        platforms = list(
            ImageManifest.objects.filter(child__in=candidates.values("pk")).values_list(
                "parent_id", "child_id"
            )
        )
        # Platforms of an index that stays, stay (repeat: a kept child may be an index too).
        while protected := {c for p, c in platforms if c in doomed and p not in doomed}:
            for pk in protected:
                doomed.pop(pk)
        return list(doomed.values())

    def prune_image(self, image: Image) -> None:
        self.out(f"Deleting image {image.digest}")
        if not self.options.confirm:
            self.report.stats.deleted_images += 1
            self._count_image_link(image)
            return
        if image.managed and self.registry.enabled:
            if TagEvent.objects.filter(image=image).exists():
                return  # referenced again meanwhile (a new push or import)
            repository = self.registry.repository_of(image)
            if repository and not self._delete_link(repository, image.digest):
                return  # kept for the next run; the error is reported
        try:
            with transaction.atomic():
                Image.objects.filter(pk=image.pk).delete()
        except ProtectedError:
            logger.info("image %s is referenced again; not pruned", image.digest)
            return
        self.report.stats.deleted_images += 1

    def _count_image_link(self, image: Image) -> None:
        if image.managed and self.registry.enabled:
            repository = self.registry.repository_of(image)
            if repository:
                self._delete_link(repository, image.digest)


IMAGE_FIELDS = ("pk", "digest", "media_type", "managed", "docker_image_reference")


def pinned_images() -> dict[tuple[str, str], set[str]]:
    """Images tag specs pin, by (project, stream): ImageStreamImage sources
    (`stream@digest`) and external sources by digest in the integrated
    registry (`host/project/stream@digest`)."""
    pinned: dict[tuple[str, str], set[str]] = defaultdict(set)
    specs = Tag.objects.filter(
        from_kind__in=[SourceKind.IMAGE_STREAM_IMAGE, SourceKind.DOCKER_IMAGE],
        from_name__contains="@",
    ).values_list("from_kind", "from_name", "from_namespace", "stream__project__name")
    internal = integrated_registry_pull_host()
    for kind, name, namespace, project in specs:
        if kind == SourceKind.IMAGE_STREAM_IMAGE:
            stream, _, digest = name.partition("@")
            pinned[(namespace or project, stream)].add(digest)
            continue
        path, _, digest = name.partition("@")
        host, _, repository = path.partition("/")
        if internal and host == internal and repository.count("/") == 1:
            owner, stream = repository.split("/")
            pinned[(owner, stream)].add(digest)
    return pinned


class _IntegratedRegistry:
    """Manifest deletes in the integrated registry, when pruning it is on."""

    def __init__(self, options: PruneOptions, client) -> None:
        self.enabled = options.prune_registry and integrated_registry_configured()
        self._client = client
        self._own_client = client is None

    def repository_of(self, image: Image) -> str:
        """The repository an image was pushed to, from its first pull spec."""
        path = image.docker_image_reference.partition("@")[0]
        host, _, repository = path.partition("/")
        return repository if host == integrated_registry_pull_host() else ""

    def delete(self, repository: str, digest: str) -> str:
        """'' when the manifest is gone (or never was there), else the error."""
        if self._client is None:
            self._client = integrated_registry_client()
        api_host = integrated_registry_api_host()
        ref = ImageReference(registry=api_host, path=repository, digest=digest)
        plain_http = urlsplit(settings.INTEGRATED_REGISTRY_URL).scheme == "http"
        try:
            self._client.delete_manifest(ref, insecure=plain_http)
        except RegistryError as exc:
            return exc.message
        return ""

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
