"""The outbox: record a tag change and the deliveries it owes, in the
transaction that changed the tag's history; send them after commit."""

from __future__ import annotations

from django.db.models import Q

from imagestreams.enqueue import enqueue_on_commit
from imagestreams.models import Tag, TagEvent
from imagestreams.selectors.tags import pull_spec_for
from triggers.models import Delivery, TagChange, Trigger


def tag_change_record(
    *, tag: Tag, previous: TagEvent | None, current: TagEvent, cause: str, actor: str = ""
) -> TagChange:
    """Record that `tag` moved from `previous` to `current` and write one
    pending delivery per enabled trigger watching it.

    Called by the history service with the stream locked; a concurrent writer
    that computed the same change fails on the (tag, serial) constraint and
    its whole transaction, history included, rolls back.
    """
    stream = tag.stream
    last_serial = (
        TagChange.objects.filter(tag=tag).order_by("-serial").values_list("serial", flat=True)
    ).first()
    change = TagChange.objects.create(
        tag=tag,
        serial=(last_serial or 0) + 1,
        project_name=stream.project.name,
        stream_name=stream.name,
        tag_name=tag.name,
        previous_digest=previous.digest if previous else "",
        digest=current.digest,
        pull_spec=pull_spec_for(tag, current),
        cause=cause,
        actor=actor,
    )
    for trigger in triggers_watching(tag):
        delivery = Delivery.objects.create(trigger=trigger, change=change)
        _enqueue(delivery.pk)
    return change


def triggers_watching(tag: Tag) -> list[Trigger]:
    stream = tag.stream
    return list(
        Trigger.objects.filter(project_id=stream.project_id, stream=stream.name, enabled=True)
        .filter(Q(tag="") | Q(tag=tag.name))
        .only("pk")
    )


def _enqueue(delivery_id: int) -> None:
    from triggers.tasks import delivery_send_task

    # After commit only: a rolled-back change must not be announced, and the
    # worker must be able to read the row.
    enqueue_on_commit(delivery_send_task, delivery_id)
