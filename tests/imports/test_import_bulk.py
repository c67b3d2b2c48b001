"""`import-image --all` of many tags: tags new to the stream are written
together, in a number of SQL statements that does not grow with the tags,
with the same rows (tags, history, change feed, audit) as tag by tag."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imagestreams.access import acting_system
from imagestreams.models import AuditEvent, ImageStream, Tag, TagChange
from imagestreams.models.streams import EventCause, SourceKind
from imagestreams.services.tagging import TagOptions, tag_set
from triggers.models import Delivery
from triggers.services.triggers import trigger_create

pytestmark = [pytest.mark.django_db, pytest.mark.registry]


def _push(registry, pusher, repository: str, count: int) -> dict[str, str]:
    client = pusher(registry)
    return {
        str(n): client.push_image(repository, str(n), text=f"{repository}-{n}").digest
        for n in range(count)
    }


def _statements(run_import, stream: str, source: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = run_import(stream, from_image=source, confirm=True, all=True)
    assert not result.failed
    return len(queries)


def test_the_statements_of_an_import_do_not_grow_with_its_tags(
    registry, pusher, unique_repo, run_import
):
    _push(registry, pusher, f"{unique_repo}-few", 2)
    _push(registry, pusher, f"{unique_repo}-many", 12)
    few = _statements(run_import, "few", f"{registry.host}/{unique_repo}-few")
    many = _statements(run_import, "many", f"{registry.host}/{unique_repo}-many")
    # Ten more tags may cost a statement or two (rows are inserted in batches),
    # never one per tag.
    assert many <= few + 2, (few, many)
    assert Tag.objects.filter(stream__name="many").count() == 12


def test_new_tags_get_the_rows_a_tag_by_tag_import_writes(
    registry, pusher, unique_repo, run_import, project
):
    digests = _push(registry, pusher, unique_repo, 3)
    source = f"{registry.host}/{unique_repo}"
    result = run_import("app", from_image=source, confirm=True, all=True)

    stream = ImageStream.objects.get(project=project, name="app")
    assert [s.status for s in result.statuses] == ["Success"] * 3
    for status in result.statuses:
        assert status.reference == f"{source}@{digests[status.tag]}"
        assert [(t.name, c.value) for t, c in status.changes] == [(status.tag, "prepended")]
    for tag in Tag.objects.filter(stream=stream):
        assert (tag.from_kind, tag.from_name) == (SourceKind.DOCKER_IMAGE, f"{source}:{tag.name}")
        assert tag.generation == stream.generation
        assert tag.upstream_digest == digests[tag.name]
        assert tag.last_checked_at is not None and not tag.has_condition
        assert not tag.import_pending(tag.events.first())
        [event] = tag.events.all()
        assert (event.image.digest, event.cause, event.generation) == (
            digests[tag.name],
            EventCause.IMPORT,
            stream.generation,
        )
        assert event.docker_image_reference == f"{source}@{digests[tag.name]}"
        [change] = TagChange.objects.filter(tag=tag)
        assert (change.serial, change.previous_digest, change.digest) == (
            1,
            "",
            digests[tag.name],
        )
        assert change.pull_spec == event.docker_image_reference
        assert change.cause == EventCause.IMPORT
    audit = AuditEvent.objects.filter(action="tag.import").order_by("id")
    assert [(a.target, a.before, a.after) for a in audit] == [
        (f"app:{s.tag}", {"image": None}, {"image": digests[s.tag], "cause": "import"})
        for s in result.statuses
    ]
    assert stream.repository_checked_at is not None


def test_aliases_and_existing_tags_are_still_followed(registry, pusher, unique_repo, run_import):
    digests = _push(registry, pusher, unique_repo, 3)
    source = f"{registry.host}/{unique_repo}"
    run_import("app:0", from_image=f"{source}:0", confirm=True)
    stream = ImageStream.objects.get(name="app")
    tag_set(
        by=acting_system(),
        project=stream.project,
        source="app:2",
        destinations=["app:current"],
        options=TagOptions(alias=True),
    )

    result = run_import("app", from_image=source, confirm=True, all=True)

    assert {s.tag: s.status for s in result.statuses} == {
        "0": "Unchanged",
        "1": "Success",
        "2": "Success",
    }
    current = Tag.objects.get(stream__name="app", name="current")
    [event] = current.events.all()
    assert (event.image.digest, event.cause) == (digests["2"], EventCause.ALIAS)
    assert TagChange.objects.filter(tag=current).count() == 1
    assert [t.name for t, _ in result.statuses[2].changes] == ["2", "current"]


def test_every_new_tag_fires_the_triggers_watching_the_stream(
    registry, pusher, unique_repo, run_import, project, receiver, django_capture_on_commit_callbacks
):
    _push(registry, pusher, unique_repo, 4)
    trigger_create(
        project=project,
        name="hook",
        stream="app",
        tag="",
        url=f"{receiver.url}/hook",
        secret="s3cret",
        by=acting_system(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_import("app", from_image=f"{registry.host}/{unique_repo}", confirm=True, all=True)
    changes = TagChange.objects.filter(stream_name="app")
    assert changes.count() == 4
    assert all(change.fanned_out_at for change in changes)
    assert sorted(d.change.tag_name for d in Delivery.objects.all()) == ["0", "1", "2", "3"]
    receiver.wait_for(4)
