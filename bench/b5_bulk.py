"""5. Bulk import of a whole repository (`import-image --all --confirm`,
IMAGESTREAMS_MAX_IMAGES_BULK_IMPORTED=-1) against skopeo reading the same
metadata: `skopeo list-tags`, then `skopeo inspect --no-tags` per tag
(manifest and config, what an import stores; skopeo copies no layers that way).

The import runs in this process through the service the API and the CLI call
(`import_image`), so that no HTTP timeout of a web server cuts it short; every
run imports into a new stream, with the images of earlier runs deleted, so
each run is equally cold.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from unittest import mock

from django.db import connection

from bench.context import Context
from bench.profiles import SpyRecording
from bench.seed import project
from bench.tools import skopeo, skopeo_loop, spread
from imagestreams.access import acting_system
from imagestreams.models import Image, ImageStream, TagChange
from imagestreams.registry.client import RegistryClient
from imagestreams.services import import_image as import_image_service
from imagestreams.services.import_image import ImportImageRequest, import_image

PROJECT = "bulk"


def run(ctx: Context) -> dict:
    owner = project(PROJECT)
    repository = f"{ctx.upstream_host}/{ctx.bulk_repository}"
    digests = [tag.digest for tag in ctx.bulk_upstream]
    ours, theirs = [], []
    for index in range(ctx.sizes.runs):
        # The last run is also sampled by py-spy (at 250 Hz, outside the process).
        last = index == ctx.sizes.runs - 1
        ours.append(_import(ctx, owner, repository, f"app{index}", digests, profile=last))
    # Every tag here is the same image with its own annotations, hence one config
    # for all, which an import reads once. As for a repository whose tags each
    # have their own config: the same imports, with every config read.
    every_config = []
    with mock.patch.object(import_image_service, "RegistryClient", _EveryBlobRead):
        for index in range(ctx.sizes.runs):
            name = f"every{index}"
            every_config.append(_import(ctx, owner, repository, name, digests, profile=False))
    _wait_fanned_out()  # nor does skopeo
    for _ in range(ctx.sizes.skopeo_bulk_runs):
        theirs.append(_skopeo(ctx, repository))
    return {
        "tags": len(digests),
        "repository": ctx.bulk_repository,
        "import": ours,
        "import_seconds": spread([r["seconds"] for r in ours], 2),
        "skopeo": theirs,
        "skopeo_seconds": spread([r["seconds"] for r in theirs], 2),
        "speedup": spread([s["seconds"] / r["seconds"] for r in ours for s in theirs], 1),
        "import_every_config": every_config,
        "import_every_config_seconds": spread([r["seconds"] for r in every_config], 2),
        "speedup_every_config": spread(
            [s["seconds"] / r["seconds"] for r in every_config for s in theirs], 1
        ),
    }


class _EveryBlobRead(RegistryClient):
    """The import's client without the blobs its threads share."""

    def __init__(self, **options) -> None:
        options.pop("blobs", None)  # (a version without them passes none)
        super().__init__(**options)


def _import(
    ctx: Context, owner, repository: str, stream: str, digests: list[str], *, profile: bool
) -> dict:
    _wait_fanned_out()  # the worker is done with the changes of the run before
    Image.objects.filter(digest__in=digests).delete()  # cold: no image known yet
    mark = ctx.upstream_log.mark()
    recording = None
    if profile:
        # Sampled for the import's expected length; py-spy stops by itself.
        expected = 2 + len(digests) / 40
        recording = SpyRecording(os.getpid(), ctx.workdir / "profile-bulk.raw", seconds=expected)
        time.sleep(0.5)  # py-spy attaches
    started = time.perf_counter()
    with _statements() as statements:
        result = import_image(
            project=owner,
            request=ImportImageRequest(
                target=stream, from_image=repository, confirm=True, all=True, insecure=True
            ),
            by=acting_system("task", "bench"),
        )
    seconds = time.perf_counter() - started
    if recording is not None:
        recording.stop()  # the import only, not the clean-up below
    statuses = [status.status for status in result.statuses]
    if statuses.count("Success") != len(digests) or result.additional_tags:
        raise RuntimeError(f"bulk import: {statuses.count('Success')} of {len(digests)} imported")
    requests = ctx.upstream_log.count(mark, agent="imagestreams")
    ImageStream.objects.filter(project=owner, name=stream).delete()
    figures = _figures(seconds, requests, len(digests))
    figures["statements"] = statements[0]
    figures["statements_per_tag"] = round(statements[0] / len(digests), 2)
    if recording is not None:
        figures["profile"] = recording.summary(stop=ctx.sizes.short_profiles)
    return figures


def _wait_fanned_out(patience: float = 300) -> None:
    """Until the worker has fanned out every change (the triggers' part of an
    import, done after it returns), so that no run pays for the one before."""
    deadline = time.monotonic() + patience
    waiting = TagChange.objects.filter(project_name=PROJECT, fanned_out_at__isnull=True)
    while waiting.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("bulk import: the changes of the last run are not fanned out")
        time.sleep(0.2)


@contextmanager
def _statements():
    """Counts the SQL statements the import sends (on the driver's connection;
    the fetching threads use none)."""
    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        yield count


def _skopeo(ctx: Context, repository: str) -> dict:
    mark = ctx.upstream_log.mark()
    started = time.perf_counter()
    listed = skopeo("list-tags", f"docker://{repository}")
    tags = _tags(listed)
    skopeo_loop([f"{repository}:{tag}" for tag in tags], "inspect", "--no-tags")
    seconds = time.perf_counter() - started
    return _figures(seconds, ctx.upstream_log.count(mark), len(tags))


def _tags(listed: bytes) -> list[str]:
    return json.loads(listed)["Tags"]


def _figures(seconds: float, requests, tags: int) -> dict:
    return {
        "seconds": round(seconds, 2),
        "tags_per_second": round(tags / seconds, 1),
        "requests": dict(requests),
        "requests_per_tag": round(sum(requests.values()) / tags, 2),
    }
