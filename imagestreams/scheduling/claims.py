"""Which scheduled tags are due, and claiming them in the database.

A tag is *enrolled* once: the sweep copies its source into ``scheduled_source``
(with the parsed registry and repository) and gives it a first
``next_check_at`` spread over the interval. *Claiming* moves ``next_check_at``
one interval ahead and stamps the claim token in the same statement, so
however many sweeps run at once, a tag is handed out at most once per
interval; a batch that is lost (broker, dead worker) leaves its tags due again
one interval later, so none is forgotten.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from imagestreams.models import Tag, TagEvent
from imagestreams.models.streams import SourceKind
from imagestreams.registry.errors import InvalidReference
from imagestreams.registry.reference import parse_reference

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _HeadGeneration(TypedDict):
        head_generation: int | None

    TagToEnrol = WithAnnotations[Tag, _HeadGeneration]

# Without SKIP LOCKED, a claimer that lost every candidate to a concurrent
# one looks again this many times before reporting nothing due.
CLAIM_ATTEMPTS = 3
# Enrolment writes one bulk UPDATE per this many tags.
ENROL_CHUNK = 500

SCHEDULED_IMPORTABLE = Q(scheduled=True, from_kind=SourceKind.DOCKER_IMAGE, reference=False)


@dataclass(frozen=True)
class Claim:
    token: str
    registry: str
    tag_ids: list[int]

    def batches(self, size: int) -> list[Claim]:
        """The claim cut into as few batches of at most ``size`` tags as
        possible, of even sizes, under the same token (a batch checks and
        releases only its own tags). Even: 1,010 tags in batches of 200 are
        six of 168 or 169, not five of 200 and one of 10 that a process
        checks while the other waits."""
        count = math.ceil(len(self.tag_ids) / size)
        batches, start = [], 0
        for index in range(count):
            end = start + len(self.tag_ids) // count + (index < len(self.tag_ids) % count)
            batches.append(Claim(self.token, self.registry, self.tag_ids[start:end]))
            start = end
        return batches


def is_pinned(from_name: str) -> bool:
    """A source by digest never changes: it is checked only until imported once."""
    return "@" in from_name


def release_unscheduled() -> int:
    """Forget the schedule of tags that are no longer scheduled imports (flag
    turned off, rolled back, made a reference or an alias)."""
    enrolled = ~Q(scheduled_source="") | Q(next_check_at__isnull=False)
    return (
        Tag.objects.filter(enrolled)
        .exclude(SCHEDULED_IMPORTABLE)
        .update(
            next_check_at=None,
            scheduled_source="",
            source_registry="",
            source_repository="",
            check_failures=0,
            check_claim="",
        )
    )


def tags_to_enrol() -> QuerySet[TagToEnrol]:
    """New scheduled tags, and those whose source changed since enrolment."""
    changed = ~Q(scheduled_source=F("from_name"))
    lost = Q(next_check_at__isnull=True) & ~Q(from_name__contains="@")
    head_generation = Subquery(
        TagEvent.objects.filter(tag=OuterRef("pk")).order_by("-id").values("generation")[:1]
    )
    return (
        Tag.objects.filter(SCHEDULED_IMPORTABLE)
        .filter(changed | lost)
        .annotate(head_generation=head_generation)
        .order_by("pk")
    )


def enrol(
    *, now: datetime, interval: float, limit: int, rand: Callable[[], float] = random.random
) -> int:
    """Give new and changed scheduled tags a first check time with jitter over
    one interval, so a thousand tags created together are not checked together."""
    tags = list(tags_to_enrol()[:limit])
    for tag in tags:
        _enrol_one(tag, now, interval, rand)
    Tag.objects.bulk_update(
        tags,
        [
            "next_check_at",
            "scheduled_source",
            "source_registry",
            "source_repository",
            "check_failures",
        ],
        batch_size=ENROL_CHUNK,
    )
    return len(tags)


def _enrol_one(tag: TagToEnrol, now: datetime, interval: float, rand: Callable[[], float]) -> None:
    try:
        reference = parse_reference(tag.from_name)
        tag.source_registry, tag.source_repository = reference.registry_host, reference.repository
    except InvalidReference:
        # Still enrolled: the check records the error as the tag's condition.
        tag.source_registry = tag.source_repository = ""
    tag.scheduled_source = tag.from_name
    tag.check_failures = 0
    if is_pinned(tag.from_name) and _imported_at_current_generation(tag):
        tag.next_check_at = None
    else:
        tag.next_check_at = now + timedelta(seconds=rand() * interval)


def _imported_at_current_generation(tag: TagToEnrol) -> bool:
    """OpenShift's rule: a source by digest is scheduled only until imported once."""
    head = tag.head_generation
    return head is not None and not tag.has_condition and tag.generation <= head


def due(now: datetime) -> QuerySet[Tag]:
    return Tag.objects.filter(
        SCHEDULED_IMPORTABLE, next_check_at__lte=now, scheduled_source=F("from_name")
    )


def due_registries(now: datetime) -> list[str]:
    return sorted(set(due(now).values_list("source_registry", flat=True)))


def claim_due(
    registry: str,
    *,
    now: datetime,
    limit: int,
    interval: float,
    skip_locked: bool | None = None,
) -> Claim:
    """Claim up to ``limit`` due tags of one registry, oldest due first.

    PostgreSQL locks the candidates with ``FOR UPDATE SKIP LOCKED`` so that
    concurrent sweeps take different tags instead of queueing; elsewhere a
    conditional UPDATE (``WHERE next_check_at <= now``) decides, and the token
    tells which rows this claimer won.
    """
    if skip_locked is None:
        skip_locked = connection.features.has_select_for_update_skip_locked
    token = uuid.uuid4().hex
    candidates = due(now).filter(source_registry=registry).order_by("next_check_at", "pk")
    claimed = {"next_check_at": now + timedelta(seconds=interval), "check_claim": token}
    if skip_locked:
        with transaction.atomic():
            ids = _claim_skipping_locked(candidates, limit, claimed)
        return Claim(token=token, registry=registry, tag_ids=ids)
    for _ in range(CLAIM_ATTEMPTS):
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            break
        due(now).filter(pk__in=ids).update(**claimed)
        won = sorted(Tag.objects.filter(pk__in=ids, check_claim=token).values_list("pk", flat=True))
        if won:
            return Claim(token=token, registry=registry, tag_ids=won)
        # Another claimer took exactly these; the next ones may still be free.
    return Claim(token=token, registry=registry, tag_ids=[])


def _claim_skipping_locked(candidates: QuerySet[Tag], limit: int, claimed: dict) -> list[int]:
    """``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
    RETURNING id``: one statement, where a list of the ids in the UPDATE cost
    the sweep task most of its CPU for claims of a thousand tags."""
    locked = candidates.select_for_update(skip_locked=True).values("pk")[:limit]
    select, params = locked.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(Tag._meta.db_table)
    # The claimed fields are plain columns named like the fields (no db_column).
    columns = ", ".join(f"{quote(name)} = %s" for name in claimed)
    key = quote("id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {columns} WHERE {key} IN ({select}) RETURNING {key}",
            [*claimed.values(), *params],
        )
        return sorted(row[0] for row in cursor.fetchall())
