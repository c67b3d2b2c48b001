"""Writes on image streams as a whole."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.freshness import stream_changed
from imagestreams.models import ImageStream, Project
from imagestreams.models.streams import stream_name_validator
from imagestreams.services.errors import Conflict, InvalidInput, NotFound

MAX_REPOSITORY_NAME = 255


# The model validator's "$" also matches before a final newline: match whole.
STREAM_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")


def validate_stream_name(project: Project, name: str) -> None:
    try:
        stream_name_validator(name)
        if not STREAM_NAME.fullmatch(name):
            raise ValidationError(stream_name_validator.message)
    except ValidationError as exc:
        raise InvalidInput(
            f'invalid image stream name "{name}": {exc.messages[0]}', field="name"
        ) from None
    if len(f"{project.name}/{name}") > MAX_REPOSITORY_NAME:
        raise InvalidInput(
            f"'{project.name}/{name}' cannot be longer than {MAX_REPOSITORY_NAME} characters",
            field="name",
        )


def stream_create(
    *,
    by: Principal,
    project: Project,
    name: str,
    lookup_local: bool = False,
    annotations: dict | None = None,
) -> ImageStream:
    validate_stream_name(project, name)
    try:
        with transaction.atomic():
            stream = ImageStream.objects.create(
                project=project,
                name=name,
                lookup_local=lookup_local,
                annotations=annotations or {},
            )
            audit.record("stream.create", by=by, project=project, target=name)
            return stream
    except IntegrityError:
        raise Conflict(f'image stream "{name}" already exists', field="name") from None


def stream_get_or_create_locked(*, project: Project, name: str) -> ImageStream:
    """The stream, created if missing, locked for the current transaction.

    Every write to a stream's tags holds this lock, so concurrent imports, tags
    and rollbacks of one stream are applied one after the other.
    """
    validate_stream_name(project, name)
    ImageStream.objects.get_or_create(project=project, name=name)
    return _locked(
        ImageStream.objects.select_for_update()
        .select_related("project")
        .get(project=project, name=name)
    )


def stream_lock(stream_id: int) -> ImageStream:
    return _locked(
        ImageStream.objects.select_for_update().select_related("project").get(pk=stream_id)
    )


def _locked(stream: ImageStream) -> ImageStream:
    # Whoever locks a stream may change its tags: readers' cached versions of it
    # (ETags of resolve) end with this transaction.
    stream_changed(stream.project.name, stream.name)
    return stream


def stream_bump_generation(stream: ImageStream) -> int:
    """Record a spec change; returns the new generation (stream must be locked)."""
    stream.generation += 1
    ImageStream.objects.filter(pk=stream.pk).update(generation=stream.generation)
    return stream.generation


class RequestGeneration:
    """The generation every write of one request shares (stream locked).

    OpenShift raises a stream's generation once per request: an import of 50
    tags is one new generation, carried by every spec tag, history entry and
    condition it writes. Calling this the first time bumps the stream; later
    calls return the same number; a request that changes nothing bumps nothing.
    """

    def __init__(self, stream: ImageStream) -> None:
        self.stream = stream
        self.value: int | None = None

    def __call__(self) -> int:
        if self.value is None:
            self.value = stream_bump_generation(self.stream)
        return self.value


def stream_update(
    *,
    by: Principal,
    stream: ImageStream,
    lookup_local: bool | None = None,
    annotations: dict[str, str] | None = None,
    expected_generation: int | None = None,
) -> ImageStream:
    """Change the lookup policy or replace the annotations of a stream.

    With `expected_generation` the change is refused (Conflict) if the stream
    changed since the caller read it; any real change bumps the generation,
    so two editors cannot overwrite each other unknowingly.
    """
    with transaction.atomic():
        try:
            locked = stream_lock(stream.pk)
        except ImageStream.DoesNotExist:
            raise NotFound(f'image stream "{stream.name}" not found') from None
        if expected_generation is not None and locked.generation != expected_generation:
            raise Conflict(
                f'image stream "{locked.name}" was changed meanwhile (generation '
                f"{locked.generation}, you sent {expected_generation}); read it again and retry",
                field="generation",
            )
        changes: dict[str, object] = {}
        if lookup_local is not None and lookup_local != locked.lookup_local:
            changes["lookup_local"] = lookup_local
        if annotations is not None and annotations != locked.annotations:
            changes["annotations"] = annotations
        if changes:
            before = {name: getattr(stream, name) for name in changes}
            for name, value in changes.items():
                setattr(locked, name, value)
            locked.generation += 1
            locked.save(update_fields=[*changes, "generation", "updated"])
            audit.record(
                "stream.update",
                by=by,
                project=locked.project,
                target=locked.name,
                before=before,
                after=changes,
            )
    return locked


def stream_delete(*, by: Principal, stream: ImageStream) -> None:
    with transaction.atomic():
        audit.record("stream.delete", by=by, project=stream.project, target=stream.name)
        # The stream's version is forgotten by the deletion itself (freshness.connect_removals).
        stream.delete()
