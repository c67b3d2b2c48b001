"""Data for the benchmarks: registry repositories and database rows.

Registry: each repository gets one real image (config and layer pushed once);
every tag is then a single manifest PUT of that image with its own
`annotations`, so every tag has its own digest (registry-lab §6: about 130
tags/s instead of 28). Tags that the importer reads therefore share their
config and labels, which no benchmark here depends on.

Database: scheduled tags are written in bulk exactly as an import and the
sweep's enrolment leave them (head event, upstream digest, enrolled source),
because importing 100,000 tags one by one would take longer than the whole run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imagestreams.access import acting
from imagestreams.models import Image, ImageStream, Project, Tag, TagEvent
from imagestreams.models.images import ImageManifest
from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.registry.reference import parse_reference
from imagestreams.services.projects import project_create
from tests.registry_lab.build import Manifest, build_image, canonical_json, sha256_digest
from tests.registry_lab.images import Pusher

BULK_CHUNK = 2000
FAR_FUTURE = timedelta(days=365)


@dataclass(frozen=True)
class UpstreamTag:
    repository: str
    tag: str
    digest: str
    data: bytes
    media_type: str


def tag_name(index: int) -> str:
    return f"t{index:04d}"


def variant(base: Manifest, note: str) -> Manifest:
    """The same image under another digest: only the manifest's annotations differ."""
    document = json.loads(base.data)
    document["annotations"] = {"bench.note": note}
    return Manifest(base.media_type, canonical_json(document), blobs=base.blobs)


def base_image(repository: str) -> Manifest:
    return build_image(text=f"bench base of {repository}")


def upstream_tags(layout: dict[str, int]) -> list[UpstreamTag]:
    """Every tag of the layout {repository: tag count}, with its digest (the
    bytes are deterministic, so this needs no registry)."""
    tags = []
    for repository, count in layout.items():
        base = base_image(repository)
        for index in range(count):
            manifest = variant(base, f"{repository}:{tag_name(index)}")
            tags.append(
                UpstreamTag(
                    repository,
                    tag_name(index),
                    manifest.digest,
                    manifest.data,
                    manifest.media_type,
                )
            )
    return tags


def seed_registry(url: str, layout: dict[str, int], marker: Path, threads: int = 8) -> bool:
    """Push the layout unless the registry's storage already holds it (a
    marker file names the layout it was seeded with). True if it pushed."""
    wanted = json.dumps(layout, sort_keys=True)
    if marker.exists() and marker.read_text() == wanted:
        return False
    with Pusher(url) as pusher:
        for repository in layout:
            # By digest: the config and layer every tag shares, under no tag.
            pusher.push(repository, None, base_image(repository))
    tags = upstream_tags(layout)
    with (
        httpx.Client(base_url=url, timeout=60.0) as client,
        ThreadPoolExecutor(threads) as pool,
    ):
        list(pool.map(lambda tag: put_manifest(client, tag), tags))
    marker.write_text(wanted)
    return True


def put_manifest(client: httpx.Client, tag: UpstreamTag) -> None:
    response = client.put(
        f"/v2/{tag.repository}/manifests/{tag.tag}",
        content=tag.data,
        headers={"Content-Type": tag.media_type},
    )
    if response.status_code != 201:
        raise RuntimeError(f"PUT {tag.repository}:{tag.tag} -> {response.status_code}")


# --- people and projects ------------------------------------------------------


def bench_user(name: str = "bench"):
    users = get_user_model().objects
    user = users.filter(username=name).first()
    return user or users.create_user(name, password=None)


def project(name: str) -> Project:
    found = Project.objects.filter(name=name).first()
    return found or project_create(name=name, by=acting(bench_user(), "task"))


# --- scheduled tags ----------------------------------------------------------


def images_for(host: str, tags: list[UpstreamTag]) -> dict[str, Image]:
    """One Image row per upstream digest, as an import stores it."""
    rows = [
        Image(
            digest=tag.digest,
            media_type=tag.media_type,
            manifest=tag.data.decode(),
            docker_image_reference=f"{host}/{tag.repository}@{tag.digest}",
            architecture="amd64",
            os="linux",
        )
        for tag in tags
    ]
    Image.objects.bulk_create(rows, batch_size=BULK_CHUNK, ignore_conflicts=True)
    digests = [tag.digest for tag in tags]
    found: dict[str, Image] = {}
    for start in range(0, len(digests), BULK_CHUNK):
        chunk = digests[start : start + BULK_CHUNK]
        found.update((image.digest, image) for image in Image.objects.filter(digest__in=chunk))
    return found


def seed_scheduled(
    *, project_name: str, host: str, tags: list[UpstreamTag], images: dict[str, Image]
) -> list[int]:
    """One stream per upstream repository, one scheduled tag per upstream tag,
    each already imported once and enrolled (not due for a year)."""
    owner = project(project_name)
    later = timezone.now() + FAR_FUTURE
    repositories = sorted({tag.repository for tag in tags})
    streams = {
        repository: ImageStream.objects.create(project=owner, name=repository.rsplit("/", 1)[-1])
        for repository in repositories
    }
    with transaction.atomic():
        made = Tag.objects.bulk_create(
            (_scheduled_tag(streams[t.repository], host, t, later) for t in tags),
            batch_size=BULK_CHUNK,
        )
        TagEvent.objects.bulk_create(
            (_head_event(tag, host, t, images) for tag, t in zip(made, tags, strict=True)),
            batch_size=BULK_CHUNK,
        )
    return [tag.pk for tag in made]


def _scheduled_tag(stream: ImageStream, host: str, upstream: UpstreamTag, later) -> Tag:
    source = f"{host}/{upstream.repository}:{upstream.tag}"
    reference = parse_reference(source)
    return Tag(
        stream=stream,
        name=upstream.tag,
        from_kind=SourceKind.DOCKER_IMAGE,
        from_name=source,
        scheduled=True,
        insecure=True,
        generation=1,
        upstream_digest=upstream.digest,
        next_check_at=later,
        scheduled_source=source,
        source_registry=reference.registry_host,
        source_repository=reference.repository,
    )


def _head_event(tag: Tag, host: str, upstream: UpstreamTag, images: dict[str, Image]):
    return TagEvent(
        tag=tag,
        docker_image_reference=f"{host}/{upstream.repository}@{upstream.digest}",
        image=images[upstream.digest],
        generation=1,
        cause=EventCause.IMPORT,
    )


def make_due(tag_ids: list[int], *, at: datetime | None = None) -> None:
    """Only these tags are due (now); every other scheduled tag waits a year.
    Tags that already wait that long are left alone: rewriting all 100,000
    rows before each sweep left PostgreSQL that many dead rows and index
    entries to step over in the sweep that followed."""
    now = at or timezone.now()
    waiting = Q(next_check_at__gte=now + FAR_FUTURE / 2, check_claim="")
    Tag.objects.filter(scheduled=True).exclude(waiting).update(
        next_check_at=now + FAR_FUTURE, check_claim=""
    )
    for chunk in chunks(tag_ids, 5000):
        Tag.objects.filter(pk__in=chunk).update(next_check_at=now, check_claim="")


def assert_loopback_only() -> None:
    """Refuse to go on if any tag could make a worker reach a registry that is
    not on this machine (a benchmark sends traffic to loopback only)."""
    outside = (
        Tag.objects.filter(from_kind=SourceKind.DOCKER_IMAGE)
        .exclude(from_name__startswith="127.0.0.1:")
        .values_list("from_name", flat=True)[:3]
    )
    if outside:
        raise RuntimeError(f"tags with sources off this machine: {list(outside)}")


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- a stream with long histories (the UI page) --------------------------------

INDEX = "application/vnd.oci.image.index.v1+json"


def seed_history_stream(
    project_name: str, name: str, *, host: str, tags: int, history: int
) -> ImageStream:
    """`tags` tags with `history` entries each, every tenth tag an alias of
    the one before and every fifth image a two-platform index. Sources name
    the local registry `host` (nothing here may ever reach another one); the
    scheduled tags among them are enrolled and not due for a year."""
    owner = project(project_name)
    stream = ImageStream.objects.create(project=owner, name=name)
    images = Image.objects.bulk_create(
        Image(
            digest=sha256_digest(f"{project_name}/{name}/{n}".encode()),
            media_type=INDEX if n % 5 == 0 else "application/vnd.oci.image.manifest.v1+json",
            manifest="{}",
            docker_image_reference=f"{host}/bench/{name}@sha256:{n:064x}",
            os="linux",
            architecture="amd64",
        )
        for n in range(history + 2)
    )
    children = images[-2:]
    ImageManifest.objects.bulk_create(
        ImageManifest(parent=image, child=child, position=p, media_type="m", os="linux",
                      architecture=arch)
        for image in images
        if image.media_type == INDEX
        for p, (child, arch) in enumerate(zip(children, ["amd64", "arm64"], strict=True))
    )  # fmt: skip
    made = Tag.objects.bulk_create(_history_tag(stream, host, n) for n in range(tags))
    now = timezone.now()
    TagEvent.objects.bulk_create(
        (
            TagEvent(
                tag=tag,
                created=now - timedelta(hours=n),
                docker_image_reference=images[n].docker_image_reference,
                image=images[n],
                generation=history - n,
                cause=EventCause.SCHEDULED,
            )
            for tag in made
            if tag.from_kind != SourceKind.IMAGE_STREAM_TAG
            for n in reversed(range(history))
        ),
        batch_size=BULK_CHUNK,
    )
    return stream


def _history_tag(stream: ImageStream, host: str, n: int) -> Tag:
    if n % 10 == 9:
        return Tag(
            stream=stream,
            name=f"alias{n}",
            from_kind=SourceKind.IMAGE_STREAM_TAG,
            from_name=f"{stream.name}:v{n - 1}",
            from_namespace=stream.project.name,
        )
    source = f"{host}/bench/{stream.name}:{n}"
    scheduled = n % 3 == 0
    return Tag(
        stream=stream,
        name=f"v{n}",
        from_kind=SourceKind.DOCKER_IMAGE,
        from_name=source,
        generation=20,
        scheduled=scheduled,
        insecure=True,
        last_checked_at=timezone.now(),
        scheduled_source=source if scheduled else "",
        source_registry=host if scheduled else "",
        source_repository=f"bench/{stream.name}" if scheduled else "",
        next_check_at=timezone.now() + FAR_FUTURE if scheduled else None,
    )
