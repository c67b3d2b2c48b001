"""`oc import-image`: import one tag or a whole repository into a stream,
creating the stream only when asked to (--confirm)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from imagestreams.access import Principal
from imagestreams.image_config import image_config
from imagestreams.models import ImageStream, Project, Tag
from imagestreams.models.streams import ImportStatus, SourceKind
from imagestreams.operations import telemetry
from imagestreams.operations.admission import check_import_source
from imagestreams.registry.client import RegistryClient
from imagestreams.registry.errors import InvalidReference, RegistryError
from imagestreams.registry.fetch import FetchResult
from imagestreams.registry.pool import SharedConnections
from imagestreams.registry.priority import prioritize_tags
from imagestreams.registry.reference import DEFAULT_TAG, ImageReference, parse_reference
from imagestreams.services.aliases import AliasError, follow_tag_reference
from imagestreams.services.credentials import credentials_lookup
from imagestreams.services.errors import InvalidInput
from imagestreams.services.import_apply import import_results_apply
from imagestreams.services.imports import (
    TagImportStatus,
    fetch_for_tag,
    paced_connections,
    registry_client,
)
from imagestreams.services.streams import (
    RequestGeneration,
    stream_get_or_create_locked,
    validate_stream_name,
)
from imagestreams.services.tagging import TagOptions, normalise_options

ALIAS_ERRORS = {
    "other_stream": 'tag "{tag}" points to an imagestreamtag from another ImageStream',
    "self": 'tag "{tag}" on the image stream is a reference to same tag',
}


@dataclass(frozen=True)
class ImportImageRequest:
    target: str
    from_image: str | None = None
    confirm: bool = False
    all: bool = False
    scheduled: bool = False
    insecure: bool = False
    reference_policy: str | None = None
    import_mode: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class PlannedTag:
    name: str
    source: ImageReference
    scheduled: bool
    insecure: bool
    reference_policy: str
    import_mode: str


@dataclass
class ImportImageResult:
    stream_name: str
    dry_run: bool
    statuses: list[TagImportStatus]
    additional_tags: list[str] = field(default_factory=list)
    stream: ImageStream | None = None

    @property
    def failed(self) -> bool:
        return any(status.failed for status in self.statuses)

    @property
    def message(self) -> str:
        text = f"imagestream/{self.stream_name} imported"
        if self.failed:
            text += " with errors"
        return text + (" (dry run)" if self.dry_run else "")


def import_image(
    *, by: Principal, project: Project, request: ImportImageRequest
) -> ImportImageResult:
    target = _parse(
        request.target,
        "the image name must be a valid container image pull spec or "
        "reference to an image stream (e.g. myregistry/myteam/image:tag)",
    )
    if target.digest:
        raise InvalidInput("to import images by ID, use the 'tag' command", field="target")
    if target.tag and request.all:
        raise InvalidInput(f'cannot specify a tag "{target.tag}" as well as --all', field="target")
    stream_name = target.path.rsplit("/", 1)[-1]
    validate_stream_name(project, stream_name)
    options = normalise_options(
        TagOptions(
            reference_policy=request.reference_policy or "", import_mode=request.import_mode or ""
        )
    )
    stream = ImageStream.objects.filter(project=project, name=stream_name).first()
    if stream is None and not request.confirm:
        raise InvalidInput(
            f'no image stream named "{stream_name}" exists, pass --confirm to create and import',
            field="target",
        )
    shared = paced_connections()
    try:
        with registry_client(project, shared=shared) as client:
            plan, repository, additional = _plan(stream, target, request, options, client)
            config = image_config()  # read once, not once per tag
            for planned in plan:
                check_import_source(planned.source, insecure=planned.insecure, config=config)
            fetched = _fetch_all(project, plan, shared)
    finally:
        shared.close()
    if request.dry_run:
        statuses = [_dry_run_status(planned, result) for planned, result in fetched]
        return ImportImageResult(stream_name, True, statuses, additional, stream)
    if stream is None and all(isinstance(result, RegistryError) for _, result in fetched):
        # Nothing would be imported into a brand-new stream: create nothing.
        messages = "; ".join(
            f"{p.name}: {r.message}" for p, r in fetched if isinstance(r, RegistryError)
        )
        raise InvalidInput(f"import failed, image stream not created: {messages}", field="target")
    with transaction.atomic():
        stream = stream_get_or_create_locked(project=project, name=stream_name)
        if repository:
            ImageStream.objects.filter(pk=stream.pk).update(spec_repository=repository)
        generation = RequestGeneration(stream)  # one per request, as in OpenShift
        statuses = import_results_apply(stream, fetched, by, generation)
    plan = [planned for planned, _ in fetched]
    results = [(s, p.source, p.source.registry_host) for s, p in zip(statuses, plan, strict=True)]
    telemetry.imports_finished(stream, results, cause="import")
    return ImportImageResult(stream_name, False, statuses, additional, stream)


def _parse(text: str, message: str) -> ImageReference:
    try:
        return parse_reference(text)
    except InvalidReference as exc:
        raise InvalidInput(f"{message}: {exc.message}", field="target") from None


def _plan(stream, target, request, options, client) -> tuple[list[PlannedTag], str, list[str]]:
    from_ref = None
    if request.from_image:
        from_ref = _parse(request.from_image, "--from must be a valid container image pull spec")
    if request.all:
        return _plan_repository(stream, target, from_ref, request, options, client)
    tag_name = target.tag or DEFAULT_TAG
    if stream is None:
        source = from_ref or target.with_tag(tag_name)
        return [_planned(tag_name, source, None, request, options)], "", []
    return [_plan_existing_tag(stream, tag_name, from_ref, request, options)], "", []


def _planned(name, source, existing: Tag | None, request, options) -> PlannedTag:
    reference_policy = options.reference_policy
    if existing is not None and existing.has_spec and not request.reference_policy:
        reference_policy = existing.reference_policy
    return PlannedTag(
        name=name,
        source=source,
        scheduled=request.scheduled or bool(existing and existing.scheduled),
        insecure=request.insecure or bool(existing and existing.insecure),
        reference_policy=reference_policy,
        import_mode=options.import_mode,
    )


def _plan_existing_tag(stream, tag_name, from_ref, request, options) -> PlannedTag:
    try:
        final_name, tag, _ = follow_tag_reference(stream, tag_name)
    except AliasError as exc:
        text = ALIAS_ERRORS.get(exc.kind, 'tag "{tag}" points to an invalid imagestreamtag')
        raise InvalidInput(text.format(tag=tag_name), field="target") from None
    if tag is None or not tag.has_spec:
        if from_ref is not None:
            return _planned(final_name, from_ref, tag, request, options)
        if final_name == DEFAULT_TAG and stream.spec_repository:
            source = _parse(stream.spec_repository, "invalid repository").with_tag(DEFAULT_TAG)
            return _planned(final_name, source, tag, request, options)
        raise InvalidInput(
            f'the tag "{final_name}" does not exist on the image stream - choose an existing tag '
            "to import or use the 'tag' command to create a new tag",
            field="target",
        )
    if tag.from_kind in (SourceKind.IMAGE_STREAM_TAG, SourceKind.IMAGE_STREAM_IMAGE):
        raise InvalidInput(
            f'tag "{final_name}" points to existing {tag.from_kind} "{tag.from_name}", it cannot '
            "be re-imported",
            field="target",
        )
    if not tag.from_kind:
        wanted = request.from_image or ""
        raise InvalidInput(
            f"tag \"{final_name}\" already exists - you must use the 'tag' command if you want to "
            f'change the source to "{wanted}"',
            field="target",
        )
    if from_ref is not None and str(from_ref) != tag.from_name:
        raise InvalidInput(
            f'the tag "{final_name}" points to "{tag.from_name}" - use the \'tag\' command if you '
            f'want to change the source to "{from_ref}"',
            field="from",
        )
    return _planned(final_name, parse_reference(tag.from_name), tag, request, options)


def _plan_repository(stream, target, from_ref, request, options, client):
    repository = from_ref or (None if stream is not None else target)
    if stream is not None and repository is None and stream.spec_repository:
        repository = _parse(stream.spec_repository, "invalid repository")
    if repository is None:
        return _plan_all_external_tags(stream, request, options), "", []
    if repository.tag or repository.digest:
        raise InvalidInput("you must specify an image repository, not a tag or ID", field="from")
    _check_repository_change(stream, repository, request)
    check_import_source(repository, insecure=request.insecure)
    try:
        remote_tags = client.list_tags(repository, insecure=request.insecure)
    except RegistryError as exc:
        raise InvalidInput(
            f"cannot list tags of {repository}: {exc.message}", field="from"
        ) from None
    ordered = prioritize_tags([t or DEFAULT_TAG for t in remote_tags])
    limit = settings.MAX_IMAGES_BULK_IMPORTED
    chosen, additional = (ordered, []) if limit < 0 else (ordered[:limit], ordered[limit:])
    existing = {t.name: t for t in Tag.objects.filter(stream=stream)} if stream else {}
    plan = [
        _planned(name, repository.with_tag(name), existing.get(name), request, options)
        for name in chosen
    ]
    return plan, str(repository), additional


def _check_repository_change(stream, repository, request) -> None:
    if stream is None or request.confirm or not request.from_image:
        return
    if not stream.spec_repository:
        raise InvalidInput(
            "the image stream does not currently import an entire Docker repository, pass "
            "--confirm to update",
            field="from",
        )
    if stream.spec_repository != str(repository):
        raise InvalidInput(
            f'the image stream has a different import spec "{stream.spec_repository}", pass '
            "--confirm to update",
            field="from",
        )


def _plan_all_external_tags(stream, request, options) -> list[PlannedTag]:
    tags = Tag.objects.filter(stream=stream, from_kind=SourceKind.DOCKER_IMAGE, reference=False)
    plan = [_planned(t.name, parse_reference(t.from_name), t, request, options) for t in tags]
    if not plan:
        raise InvalidInput(
            "image stream does not have tags pointing to external container images",
            field="target",
        )
    return plan


def _fetch_all(
    project: Project, plan: list[PlannedTag], shared: SharedConnections
) -> list[tuple[PlannedTag, FetchResult | RegistryError]]:
    """Fetch every planned tag, up to the registry's concurrency at once (the
    pacing of ``shared`` holds each request to the registry's limits); each
    thread has its own client, on the same connections, tokens and blobs read."""
    credentials = credentials_lookup(project)  # read here: threads stay off the database
    insecure_registries = list(image_config().insecure_registries)
    local = threading.local()
    blobs: dict[tuple[str, str, str], bytes] = {}  # configs shared by tags are read once

    def fetch(planned: PlannedTag) -> tuple[PlannedTag, FetchResult | RegistryError]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = RegistryClient(
                credentials=credentials,
                insecure_registries=insecure_registries,
                shared=shared,
                blobs=blobs,
            )
        return planned, _fetch(client, planned)

    threads = max(1, min(settings.REGISTRY_MAX_CONCURRENCY, len(plan)))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(fetch, plan))


def _fetch(client: RegistryClient, planned: PlannedTag) -> FetchResult | RegistryError:
    probe = Tag(import_mode=planned.import_mode, annotations={})
    # Nothing to compare with: the manifest is fetched by tag, without a HEAD first.
    return fetch_for_tag(
        client,
        probe,
        planned.source,
        insecure=planned.insecure,
        known_upstream_digest=None,
        resolve_first=False,
    )


def _dry_run_status(planned: PlannedTag, result) -> TagImportStatus:
    if isinstance(result, RegistryError):
        return TagImportStatus(planned.name, ImportStatus.FAILURE, result.reason, result.message)
    image = result.image
    return TagImportStatus(
        tag=planned.name,
        status=ImportStatus.SUCCESS,
        reference=f"{planned.source.typed_repository}@{image.digest}",
        digest=image.digest,
        image=image,
    )
