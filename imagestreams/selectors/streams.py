"""Reads of image streams with their tags and histories, in a constant number
of queries however many streams, tags and history entries there are."""

from __future__ import annotations

from django.db.models import BooleanField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from imagestreams.access import viewable_sql
from imagestreams.models import ImageStream, Project, Tag, TagEvent
from imagestreams.services.errors import NotFound

# What a history entry shows; the image's manifest and config are left in the
# database, since long histories would otherwise load them all.
EVENT_FIELDS = (
    "id",
    "tag_id",
    "created",
    "docker_image_reference",
    "generation",
    "cause",
    "actor",
    "image__id",
    "image__digest",
)


def history_prefetch() -> Prefetch:
    events = TagEvent.objects.select_related("image").only(*EVENT_FIELDS).order_by("-id")
    return Prefetch("events", queryset=events)


def _tags_prefetch() -> Prefetch:
    tags = Tag.objects.order_by("name").prefetch_related(history_prefetch())
    return Prefetch("tags", queryset=tags)


def _with_tags(streams: QuerySet[ImageStream]) -> QuerySet[ImageStream]:
    return streams.select_related("project").prefetch_related(_tags_prefetch())


def streams_list(*, project: Project, search: str = "") -> QuerySet[ImageStream]:
    streams = ImageStream.objects.filter(project=project)
    if search:
        streams = streams.filter(name__icontains=search)
    return _with_tags(streams).order_by("name")


def stream_detail(*, project: Project, name: str) -> ImageStream:
    stream = _with_tags(ImageStream.objects.filter(project=project, name=name)).first()
    if stream is None:
        raise NotFound(f'image stream "{name}" not found', field="name")
    return stream


def stream_visible(*, principal, project: str, name: str) -> ImageStream | None:
    """The stream `project/name` with its project, in one statement, if
    `principal` may view it; None otherwise (access.stream_for then says which
    error applies)."""
    visible, params = viewable_sql(principal, ImageStream._meta.db_table)
    found = (
        ImageStream.objects.select_related("project")
        .filter(RawSQL(visible, params, output_field=BooleanField()))
        .filter(project__name=project, name=name)
        .order_by()[:1]
    )
    return next(iter(found), None)


# What describing a tag reads (its spec, condition and whether an import is pending).
DESCRIBED_TAG_FIELDS = (
    "id",
    "name",
    "has_spec",
    "from_kind",
    "from_name",
    "from_namespace",
    "reference",
    "scheduled",
    "insecure",
    "import_mode",
    "reference_policy",
    "annotations",
    "generation",
    "condition_reason",
    "condition_message",
    "condition_generation",
    "condition_time",
)

# A history entry as `stream_history` reads it: tag id, then what the API shows.
HISTORY_COLUMNS = (
    "tag_id",
    "created",
    "docker_image_reference",
    "image__digest",
    "generation",
    "cause",
    "actor",
)


HISTORY_CHUNK = 5000


def stream_history(stream: ImageStream) -> tuple[list[Tag], dict[int, list[tuple]]]:
    """The stream's tags (sorted by name) and each tag's history, newest first,
    as plain rows (HISTORY_COLUMNS without the tag id): long histories would
    otherwise cost a model instance and an image instance per entry."""
    tags = list(Tag.objects.filter(stream=stream).only(*DESCRIBED_TAG_FIELDS).order_by("name"))
    history: dict[int, list[tuple]] = {tag.pk: [] for tag in tags}
    # By the tags' ids rather than a join on the stream: the history's index
    # on the tag answers it whatever the planner knows about the tables (with
    # no statistics, the join scanned every history entry of every stream).
    # In chunks, within every database's limit on parameters.
    ids = list(history)
    for start in range(0, len(ids), HISTORY_CHUNK):
        rows = (
            TagEvent.objects.filter(tag_id__in=ids[start : start + HISTORY_CHUNK])
            .order_by("tag_id", "-id")
            .values_list(*HISTORY_COLUMNS)
        )
        for tag_id, *row in rows:
            history[tag_id].append(tuple(row))
    return tags, history
