"""Reads of triggers and deliveries."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from imagestreams.models import Project, TagEvent
from imagestreams.selectors.tags import pull_spec_for
from imagestreams.services.errors import NotFound
from triggers.models import Delivery, DeliveryAttempt, Trigger
from triggers.payloads import ChangeFacts


def trigger_list(*, project: Project) -> QuerySet[Trigger]:
    return Trigger.objects.filter(project=project).select_related("project")


def trigger_get(*, project: Project, name: str) -> Trigger:
    trigger = trigger_list(project=project).filter(name=name).first()
    if trigger is None:
        raise NotFound(f'trigger "{name}" not found', field="trigger")
    return trigger


def delivery_list(*, trigger: Trigger) -> QuerySet[Delivery]:
    """Newest first, with their attempts (constant number of queries)."""
    attempts = DeliveryAttempt.objects.order_by("number")
    return (
        Delivery.objects.filter(trigger=trigger)
        .select_related("change", "trigger")
        .prefetch_related(Prefetch("attempt_log", queryset=attempts))
        .order_by("-id")
    )


def delivery_get(*, trigger: Trigger, delivery_id: str | uuid.UUID) -> Delivery:
    try:
        key = uuid.UUID(str(delivery_id))
    except ValueError:
        raise NotFound(f'delivery "{delivery_id}" not found', field="delivery") from None
    delivery = delivery_list(trigger=trigger).filter(uuid=key).first()
    if delivery is None:
        raise NotFound(f'delivery "{delivery_id}" not found', field="delivery")
    return delivery


def sample_facts(trigger: Trigger) -> ChangeFacts:
    """What a test delivery describes: the newest current image among the
    watched tags, or empty digests when none has an image yet."""
    events = TagEvent.objects.filter(
        tag__stream__project_id=trigger.project_id, tag__stream__name=trigger.stream
    )
    if trigger.tag:
        events = events.filter(tag__name=trigger.tag)
    newest = events.select_related("tag__stream__project").order_by("-id").first()
    tag = newest.tag if newest else None
    current = tag.events.select_related("image").first() if tag else None
    return ChangeFacts(
        project=trigger.project.name,
        stream=trigger.stream,
        tag=tag.name if tag else trigger.tag,
        digest=current.digest if current else "",
        previous_digest=current.digest if current else "",
        pull_spec=pull_spec_for(tag, current) if tag and current else "",
        cause="test",
        actor="",
        time=timezone.now().isoformat(),
    )
