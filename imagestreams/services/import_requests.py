"""Requesting an import: the one way every interface asks for one.

`oc tag` with an external source, a tag policy that moved, the web's "Import
now" and the admin action all record the request in the database first (a
newer spec generation, and who asked) and queue the import after commit. The
row is the request: if the broker is down or the task is lost, the pending
import loop (`imports_reconcile_pending`) finds the tag and queues it again.
The import then runs as the person who asked, in history and in the audit log.

`import-image` is the exception by design: like OpenShift's ImageStreamImport it
answers with the imported images, so it imports in the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from imagestreams.access import Principal, acting_system
from imagestreams.enqueue import enqueue_on_commit
from imagestreams.models import Tag
from imagestreams.services.imports import TagImportStatus, tag_import
from imagestreams.services.streams import RequestGeneration, stream_lock


def import_requested(tag: Tag, *, by: Principal) -> None:
    """Record who asked for the import of `tag`, whose spec generation the caller
    has just raised (its stream locked), and queue the import after commit."""
    Tag.objects.filter(pk=tag.pk).update(
        import_requested_by=by.name, import_requested_via=by.interface
    )
    tag.import_requested_by, tag.import_requested_via = by.name, by.interface
    from imagestreams.tasks import tag_import_task

    enqueue_on_commit(tag_import_task, tag.pk)


def tags_import_now(tags: Iterable[Tag], *, by: Principal) -> list[Tag]:
    """Import these tags again now ("Import now"); tags without an external source
    are skipped. Returns the tags whose import was requested."""
    requested = []
    generations: dict[int, RequestGeneration] = {}  # one per stream and request
    with transaction.atomic():
        for tag in tags:
            if not tag.is_importable:
                continue
            if tag.stream_id not in generations:
                generations[tag.stream_id] = RequestGeneration(stream_lock(tag.stream_id))
            generation = generations[tag.stream_id]()
            Tag.objects.filter(pk=tag.pk).update(generation=generation)
            tag.generation = generation
            import_requested(tag, by=by)
            requested.append(tag)
    return requested


def requested_import_run(tag_id: int) -> TagImportStatus | None:
    """Carry out a requested (or pending) import as the one who asked for it
    (the service itself acts for them: their access was checked when they asked)."""
    requester = (
        Tag.objects.filter(pk=tag_id)
        .values_list("import_requested_by", "import_requested_via")
        .first()
    )
    if requester is None:
        return None
    name, interface = requester
    if not name:
        return tag_import(tag_id, by=acting_system())
    return tag_import(tag_id, by=acting_system(interface or "task", name))
