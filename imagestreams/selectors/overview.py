"""Reads for the overview pages: the projects a user sees and a project's
streams with their health at a glance, in a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from imagestreams.access import projects_for
from imagestreams.models import ImageStream, Membership, Project, Tag, TagEvent
from imagestreams.models.streams import SourceKind

HEALTH_FILTERS = {
    "failing": "tags whose last import failed",
    "importing": "tags with an import in progress",
    "scheduled": "tags that update automatically",
}


def projects_overview(user) -> QuerySet[Project]:
    """Visible projects with their stream count and the user's role there."""
    role = Subquery(Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1])
    return (
        projects_for(user)
        .annotate(stream_count=Count("streams", distinct=True), role=role)
        .order_by("name")
    )


def _pending_tags_per_stream() -> Subquery:
    """How many importable tags of a stream wait for an import: their spec
    generation is newer than what the last event or failure observed (the
    same rule as Tag.import_pending, in SQL)."""
    head_generation = Subquery(
        TagEvent.objects.filter(tag=OuterRef("pk")).order_by("-id").values("generation")[:1]
    )
    pending = (
        Tag.objects.filter(
            stream=OuterRef("pk"), from_kind=SourceKind.DOCKER_IMAGE, reference=False
        )
        .annotate(
            observed=Greatest(
                Coalesce(head_generation, Value(0)), Coalesce(F("condition_generation"), Value(0))
            )
        )
        .filter(generation__gt=F("observed"))
        .order_by()
        .values("stream")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Subquery(pending, output_field=IntegerField())


def streams_overview(*, project: Project, search: str = "", health: str = "") -> QuerySet:
    """The project's streams with tag count, last update, scheduled, failing and
    importing counts; optionally narrowed by a name search and a health filter."""
    last_update = Subquery(
        TagEvent.objects.filter(tag__stream=OuterRef("pk"))
        .order_by("-created")
        .values("created")[:1]
    )
    streams = (
        ImageStream.objects.filter(project=project)
        .annotate(
            tag_count=Count("tags"),
            scheduled_count=Count("tags", filter=Q(tags__scheduled=True)),
            failing_count=Count("tags", filter=~Q(tags__condition_reason="")),
            pending_count=Coalesce(_pending_tags_per_stream(), Value(0)),
            last_update=last_update,
        )
        .order_by("name")
    )
    if search:
        streams = streams.filter(name__icontains=search.strip())
    if health == "failing":
        streams = streams.filter(failing_count__gt=0)
    elif health == "importing":
        streams = streams.filter(pending_count__gt=0)
    elif health == "scheduled":
        streams = streams.filter(scheduled_count__gt=0)
    return streams
