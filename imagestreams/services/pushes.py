"""Pushes to the integrated registry (OpenShift's ImageStreamMapping).

A manifest pushed with a tag to `<project>/<stream>` of the paired
Distribution registry becomes the current image of `<stream>:<tag>` in
`<project>`; the stream is created when it does not exist, the project must.
The manifest is read back from the registry (never trusted from the
notification), outside any transaction; it is then recorded under the
stream's lock like every other history write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from imagestreams.access import Principal
from imagestreams.image_config import image_config
from imagestreams.integrated_registry import (
    integrated_registry_api_host,
    integrated_registry_pull_host,
)
from imagestreams.models import ImageStream, Project, Tag
from imagestreams.models.streams import EventCause
from imagestreams.registry.auth import Challenge
from imagestreams.registry.client import RegistryClient
from imagestreams.registry.errors import RegistryError
from imagestreams.registry.fetch import IMPORT_MODE_PRESERVE_ORIGINAL, FetchedImage, fetch_image
from imagestreams.registry.netguard import Guard
from imagestreams.registry.reference import ImageReference
from imagestreams.registry_auth.tokens import service_token
from imagestreams.services.errors import InvalidInput
from imagestreams.services.history import HistoryChange, NewEvent, tag_add_event_and_follow
from imagestreams.services.images import image_upsert
from imagestreams.services.sources import validate_tag_name
from imagestreams.services.streams import stream_get_or_create_locked, validate_stream_name

logger = logging.getLogger(__name__)


class PushIgnored(Exception):
    """A push that cannot belong to any stream (and never will): not retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PushTarget:
    project: Project
    stream: str
    tag: str
    repository: str  # as in the registry: <project>/<stream>


def integrated_registry_client() -> RegistryClient:
    host = integrated_registry_api_host()
    username = settings.INTEGRATED_REGISTRY_USERNAME
    credentials = (username, settings.INTEGRATED_REGISTRY_PASSWORD) if username else None

    def lookup(registry: str) -> tuple[str, str] | None:
        return credentials if registry.lower() == host.lower() else None

    return RegistryClient(
        credentials=lookup,
        insecure_registries=[host] if _plain_http() else list(image_config().insecure_registries),
        timeout=settings.REGISTRY_TIMEOUT,
        # The operator configured this registry (often on a private network or
        # loopback): it is trusted, unlike the registries users name.
        guard=Guard(allow_private=True),
        token_issuer=_own_token,
    )


def _own_token(challenge: Challenge, scope: str) -> tuple[str, float] | None:
    """When the registry's token server is this service (its challenge names
    our REGISTRY_TOKEN_SERVICE), sign the token here with the same key
    instead of signing in: no password to guess or to lock out, and the
    catalog scope, which /registry/token grants no user."""
    if challenge.service != settings.REGISTRY_TOKEN_SERVICE:
        return None
    issued = service_token(scope)
    if issued is None:
        logger.warning(
            "cannot sign a token for the integrated registry (key %s unreadable); "
            "signing in with IMAGESTREAMS_INTEGRATED_REGISTRY_USERNAME instead",
            settings.REGISTRY_TOKEN_KEY_FILE,
        )
        return None
    token, ttl = issued
    return token, float(ttl)


def push_target(repository: str, tag: str) -> PushTarget:
    """Where a push of `repository:tag` goes, or PushIgnored with the reason."""
    parts = repository.split("/")
    if len(parts) != 2:
        raise PushIgnored(
            f'repository "{repository}" is not of the form <project>/<stream>; not an image stream'
        )
    project_name, stream_name = parts
    project = Project.objects.filter(name=project_name).first()
    if project is None:
        raise PushIgnored(f'project "{project_name}" does not exist; push to {repository} ignored')
    try:
        validate_stream_name(project, stream_name)
        validate_tag_name(tag)
    except InvalidInput as exc:
        raise PushIgnored(exc.message) from None
    return PushTarget(project=project, stream=stream_name, tag=tag, repository=repository)


def push_fetch(client: RegistryClient, repository: str, digest: str) -> FetchedImage:
    """The pushed manifest with its config (or, for an index, every child), by
    digest; raises RegistryError."""
    ref = ImageReference(registry=integrated_registry_api_host(), path=repository, digest=digest)
    result = fetch_image(
        client, ref, insecure=_plain_http(), import_mode=IMPORT_MODE_PRESERVE_ORIGINAL
    )
    assert result.image is not None  # no digest was known before, so the image is fetched
    return result.image


def push_stream_lock(target: PushTarget) -> ImageStream:
    """The target stream, created if missing, locked until the transaction ends."""
    return stream_get_or_create_locked(project=target.project, name=target.stream)


def push_record(
    *, by: Principal, stream: ImageStream, target: PushTarget, fetched: FetchedImage
) -> list[tuple[Tag, HistoryChange]]:
    """Make the pushed image the tag's current one (`stream` locked by
    push_stream_lock in the same transaction).

    Like an ImageStreamMapping: the event carries the stream's generation,
    the tag gets no spec if it had none, and alias tags follow.
    """
    tag, _ = Tag.objects.select_related("stream__project").get_or_create(
        stream=stream, name=target.tag, defaults={"has_spec": False}
    )
    repository = f"{integrated_registry_pull_host()}/{target.repository}"
    image = image_upsert(fetched, repository=repository, managed=True)
    event = NewEvent(
        reference=f"{repository}@{image.digest}",
        image=image,
        generation=stream.generation,
        cause=EventCause.PUSH,
        actor=by.name,
    )
    return tag_add_event_and_follow(tag, event)


def registry_tag_digests(client: RegistryClient) -> Iterator[tuple[str, str, str]]:
    """(repository, tag, digest) of every `<project>/<stream>` tag in the
    integrated registry: the catalog, each repository's tags, one HEAD per tag.
    Repositories that fail are logged and skipped."""
    insecure = _plain_http()
    host = integrated_registry_api_host()
    for repository in client.list_repositories(host, insecure=insecure):
        if repository.count("/") != 1:
            continue
        ref = ImageReference(registry=host, path=repository)
        try:
            tags = client.list_tags(ref, insecure=insecure)
            for tag in tags:
                head = client.head_manifest(ref.with_tag(tag), insecure=insecure)
                yield repository, tag, head.digest
        except RegistryError as exc:
            logger.warning("reconciliation skipped %s: %s", repository, exc.message)


def _plain_http() -> bool:
    return urlsplit(settings.INTEGRATED_REGISTRY_URL).scheme == "http"
