"""`oc tag`: point tags at external images, other tags, or exact images;
delete tags. All destinations are validated before anything is written, and
all are written in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.freshness import stream_changed
from imagestreams.models import ImageStream, Project, Tag, TagEvent
from imagestreams.models.streams import EventCause, ImportMode, ReferencePolicy, SourceKind
from imagestreams.operations.admission import check_tag_source
from imagestreams.services.aliases import alias_chain_reaches
from imagestreams.services.errors import InvalidInput, NotFound
from imagestreams.services.history import NewEvent, tag_add_event_and_follow
from imagestreams.services.import_requests import import_requested
from imagestreams.services.sources import (
    StreamTagName,
    TagSource,
    find_stream,
    parse_destination,
    parse_source,
    parse_source_kind,
    project_exists,
    resolve_stream_image,
    source_tag_head,
)
from imagestreams.services.streams import stream_bump_generation, stream_get_or_create_locked


@dataclass(frozen=True)
class TagOptions:
    alias: bool = False
    reference: bool = False
    scheduled: bool = False
    insecure: bool = False
    reference_policy: str = ReferencePolicy.SOURCE
    import_mode: str = ImportMode.LEGACY


@dataclass(frozen=True)
class SpecSource:
    """What a destination tag's spec will say, and the event to record now."""

    kind: str
    name: str
    namespace: str = ""
    event: TagEvent | None = None  # copied into the destination's history


@dataclass
class TagSetResult:
    destination: StreamTagName
    tag: Tag
    message: str


def normalise_options(options: TagOptions) -> TagOptions:
    policy = options.reference_policy.capitalize() if options.reference_policy else "Source"
    if policy not in ReferencePolicy.values:
        raise InvalidInput(
            "reference policy must be set to 'source' or 'local'", field="reference_policy"
        )
    mode = _normalise_import_mode(options.import_mode)
    return TagOptions(
        alias=options.alias,
        reference=options.reference,
        scheduled=options.scheduled,
        insecure=options.insecure,
        reference_policy=policy,
        import_mode=mode,
    )


def _normalise_import_mode(mode: str | None) -> str:
    if not mode:
        return settings.DEFAULT_IMPORT_MODE
    for value in ImportMode.values:
        if value.lower() == mode.lower():
            return value
    raise InvalidInput(
        "valid ImportMode values are Legacy or PreserveOriginal", field="import_mode"
    )


def tag_set(
    *,
    by: Principal,
    project: Project,
    source: str,
    destinations: list[str],
    source_kind: str | None = None,
    options: TagOptions = TagOptions(),
) -> list[TagSetResult]:
    """Point every destination at `source`, the way `oc tag` does.

    `by.subject` (`access.SYSTEM` for the service itself) needs the edit
    right on every destination project and the view (pull) right on a source in
    another project, checked now, when the tag is written; later changes of
    access do not break tags already made.
    """
    if not destinations:
        raise InvalidInput(
            "at least one destination <stream>:<tag> is required", field="destinations"
        )
    options = normalise_options(options)
    parsed = parse_source(source, parse_source_kind(source_kind), project.name)
    targets = [parse_destination(text, project.name) for text in destinations]
    _validate_combination(parsed, targets, options)
    for target in targets:
        project_exists(target.project)
    _check_access(by.subject, parsed, targets)
    spec = _resolve_source(parsed, options)
    if spec.kind == SourceKind.DOCKER_IMAGE:
        for target in targets:
            check_tag_source(
                spec.name, insecure=options.insecure, project=target.project, stream=target.stream
            )
    with transaction.atomic():
        if options.alias:
            _refuse_circular_alias(parsed, targets)
        results = [
            _apply_to_destination(target, spec, parsed, options, by, project.name)
            for target in sorted(targets, key=str)
        ]
    order = {str(t): i for i, t in enumerate(targets)}
    return sorted(results, key=lambda r: order[str(r.destination)])


def _validate_combination(
    source: TagSource, targets: list[StreamTagName], options: TagOptions
) -> None:
    import_flags = options.scheduled or options.insecure
    if options.alias and import_flags:
        raise InvalidInput("cannot set a container image tag as an alias and also set import flags")
    if import_flags and source.kind != SourceKind.DOCKER_IMAGE:
        raise InvalidInput("only container images can have importing flags set")
    if options.alias:
        if source.kind != SourceKind.IMAGE_STREAM_TAG:
            raise InvalidInput("--alias requires a source of the form <stream>:<tag>")
        name = source.stream_name
        assert name is not None  # an istag source names its stream tag
        for target in targets:
            if (target.project, target.stream) != (name.project, name.stream):
                raise InvalidInput("cannot set alias across different Image Streams")
            if target.tag == name.tag:
                raise InvalidInput(f'cannot make "{target.tag}" an alias of itself')


def _refuse_circular_alias(source: TagSource, targets: list[StreamTagName]) -> None:
    """An alias whose target already follows (through aliases) one of the
    destinations would loop for ever; checked with the stream locked."""
    name = source.stream_name
    assert name is not None  # --alias requires a <stream>:<tag> source
    stream = (
        ImageStream.objects.select_for_update()
        .filter(project__name=name.project, name=name.stream)
        .first()
    )
    if stream is None:
        return
    chain = alias_chain_reaches(stream, name.tag, {target.tag for target in targets})
    if chain is not None:
        loop = " -> ".join([chain[-1], *chain])
        raise InvalidInput(
            f'cannot make "{chain[-1]}" an alias of "{name.tag}": reference tag is circular '
            f"({loop})",
            field="source",
        )


def _check_access(user, source: TagSource | None, targets: list[StreamTagName]) -> None:
    from imagestreams.access import project_for, stream_for

    for project_name in sorted({target.project for target in targets}):
        project_for(user, project_name, "edit")
    if source is not None and source.stream_name is not None:
        # Pull access to the source, from membership or a share (OpenShift
        # checks `get imagestreams/layers` when the tag is written).
        name = source.stream_name
        stream_for(user, name.project, name.stream, "view")


def _resolve_source(source: TagSource, options: TagOptions) -> SpecSource:
    if source.kind == SourceKind.DOCKER_IMAGE:
        return SpecSource(kind=SourceKind.DOCKER_IMAGE, name=source.text)
    name = source.stream_name
    assert name is not None  # every source but a container image names a stream
    if source.kind == SourceKind.IMAGE_STREAM_IMAGE:
        event = resolve_stream_image(find_stream(name.project, name.stream), name.digest)
        return SpecSource(
            kind=SourceKind.IMAGE_STREAM_IMAGE,
            name=f"{name.stream}@{event.digest}",
            namespace=name.project,
            event=event,
        )
    head = source_tag_head(name)
    if options.alias:
        return SpecSource(
            kind=SourceKind.IMAGE_STREAM_TAG,
            name=f"{name.stream}:{name.tag}",
            namespace=name.project,
            event=head,
        )
    if head is None:
        raise InvalidInput(
            f'"{name.stream}:{name.tag}" is not currently pointing to an image, cannot use it '
            "as the source of a tag",
            field="source",
        )
    if head.image is None:
        return SpecSource(kind=SourceKind.DOCKER_IMAGE, name=head.docker_image_reference)
    # Without --alias the tag is pinned to the image the source has now.
    return SpecSource(
        kind=SourceKind.IMAGE_STREAM_IMAGE,
        name=f"{name.stream}@{head.image.digest}",
        namespace=name.project,
        event=head,
    )


def _apply_to_destination(
    target: StreamTagName,
    spec: SpecSource,
    source: TagSource,
    options: TagOptions,
    by: Principal,
    current_project: str,
) -> TagSetResult:
    project = Project.objects.get(name=target.project)
    stream = stream_get_or_create_locked(project=project, name=target.stream)
    tag, _ = Tag.objects.get_or_create(stream=stream, name=target.tag)
    generation = stream_bump_generation(stream)
    _write_spec(tag, spec, options, generation)
    if spec.kind == SourceKind.DOCKER_IMAGE and options.reference:
        event = NewEvent(spec.name, None, generation, EventCause.REFERENCE, by.name)
        tag_add_event_and_follow(tag, event)
    elif spec.kind == SourceKind.DOCKER_IMAGE:
        import_requested(tag, by=by)
    elif spec.event is not None:
        reference = _destination_reference(spec.event, stream, options)
        cause = EventCause.ALIAS if options.alias else EventCause.TAG
        event = NewEvent(reference, spec.event.image, generation, cause, by.name)
        tag_add_event_and_follow(tag, event)
    message = _message(target, spec, source, options, current_project)
    audit.record(
        "tag.set",
        by=by,
        project=project,
        target=f"{target.stream}:{target.tag}",
        after={
            "from": {"kind": spec.kind, "name": spec.name, "namespace": spec.namespace},
            "scheduled": tag.scheduled,
            "reference_policy": tag.reference_policy,
        },
    )
    return TagSetResult(destination=target, tag=tag, message=message)


def _write_spec(tag: Tag, spec: SpecSource, options: TagOptions, generation: int) -> None:
    is_docker = spec.kind == SourceKind.DOCKER_IMAGE
    pinned = spec.kind == SourceKind.IMAGE_STREAM_IMAGE or (is_docker and "@" in spec.name)
    tag.note_new_spec(pinned=pinned and not options.reference)
    tag.has_spec = True
    tag.from_kind = spec.kind
    tag.from_name = spec.name
    tag.from_namespace = spec.namespace
    tag.reference = options.reference
    tag.scheduled = options.scheduled and is_docker
    tag.insecure = options.insecure and is_docker
    tag.import_mode = options.import_mode
    tag.reference_policy = options.reference_policy
    tag.generation = generation
    tag.upstream_digest = ""
    # A new source replaces any tag policy (scheduling.services.tag_set_policy).
    tag.policy, tag.policy_tag = {}, ""
    tag.save(update_fields=Tag.SPEC_FIELDS)


def _destination_reference(event: TagEvent, stream: ImageStream, options: TagOptions) -> str:
    """Pull specs that point at the source stream in the integrated registry are
    rewritten to the destination stream, so pulls go through (and are
    authorised by) the destination."""
    source_repository = event.tag.stream.repository
    if options.reference or not source_repository or not event.image_id:
        return event.docker_image_reference
    if event.docker_image_reference.startswith(f"{source_repository}@"):
        return f"{stream.repository}@{event.digest}"
    return event.docker_image_reference


def _message(
    target: StreamTagName,
    spec: SpecSource,
    source: TagSource,
    options: TagOptions,
    current_project: str,
) -> str:
    destination = target.display(current_project)
    if options.alias:
        return f"Tag {destination} set up to track {source.text}."
    if options.scheduled:
        return f"Tag {destination} set to import {spec.name} periodically."
    shown = spec.name
    if spec.namespace and spec.namespace != current_project:
        shown = f"{spec.namespace}/{spec.name}"
    return f"Tag {destination} set to {shown}."


def tag_delete(*, by: Principal, project: Project, destinations: list[str]) -> list[str]:
    """Delete tags: their spec and their whole history. `by.subject` needs the edit
    right on every project named by a destination."""
    if not destinations:
        raise InvalidInput(
            "at least one <stream>:<tag> to delete is required", field="destinations"
        )
    targets = [parse_destination(text, project.name) for text in destinations]
    _check_access(by.subject, None, targets)
    with transaction.atomic():
        tags = [_existing_tag(target) for target in targets]
        for tag in tags:
            audit.record(
                "tag.delete",
                by=by,
                project=tag.stream.project,
                target=f"{tag.stream.name}:{tag.name}",
                before={"from": tag.from_name, "kind": tag.from_kind},
            )
            stream_changed(tag.stream.project.name, tag.stream.name)
            tag.delete()
    return [f"Deleted tag {target}." for target in targets]


def _existing_tag(target: StreamTagName) -> Tag:
    tag = (
        Tag.objects.select_for_update()
        .filter(stream__project__name=target.project, stream__name=target.stream, name=target.tag)
        .first()
    )
    if tag is None:
        raise NotFound(f'image stream tag "{target}" not found', field="destination")
    return tag
