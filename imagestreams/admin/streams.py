"""Image streams, their tags and history. Specs and history change only
through services (import, tag, rollback), so these pages show them and
offer the actions operators need: import now, pause or resume scheduling."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery

from imagestreams.access import Principal
from imagestreams.admin.base import (
    INLINE_LIMIT,
    NewestInline,
    ReadOnlyInline,
    ReadOnlyMixin,
    ServiceAdmin,
    principal_of,
    run_for_each,
)
from imagestreams.models import ImageStream, Tag, TagEvent
from imagestreams.services.import_requests import tags_import_now
from imagestreams.services.streams import stream_delete
from imagestreams.services.tag_spec import tag_spec_update
from imagestreams.services.tagging import tag_delete


def newest_head(field: str):
    """The current image's digest of each tag (newest history entry)."""
    newest = TagEvent.objects.filter(tag=OuterRef(field)).order_by("-id")
    return Subquery(newest.values("image__digest")[:1])


def short(digest: str | None) -> str:
    return digest.split(":", 1)[-1][:12] if digest else "—"


class TagInline(ReadOnlyInline):
    model = Tag
    fields = ("name", "source", "scheduled", "current_image", "condition_reason")
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("stream__project")
        return queryset.annotate(head_digest=newest_head("pk"))

    @admin.display(description="source")
    def source(self, tag) -> str:
        return f"{tag.from_kind} {tag.from_name}".strip() or "— (pushed)"

    @admin.display(description="current image")
    def current_image(self, tag) -> str:
        return short(tag.head_digest)


@admin.register(ImageStream)
class ImageStreamAdmin(ServiceAdmin):
    list_display = ["name", "project", "tag_count", "generation", "updated"]
    list_select_related = ["project"]
    list_filter = ["lookup_local"]
    search_fields = ["name", "project__name"]
    date_hierarchy = "created"
    fields = (
        "project",
        "name",
        "generation",
        "lookup_local",
        "spec_repository",
        "annotations",
        "repository_checked_at",
        "created",
        "updated",
    )
    readonly_fields = fields
    inlines = [TagInline]
    actions = ["import_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tags_n=Count("tags"))

    @admin.display(description="tags", ordering="tags_n")
    def tag_count(self, stream) -> int:
        return stream.tags_n

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: ImageStream) -> None:
        stream_delete(by=principal_of(request), stream=obj)

    def delete_queryset(self, request, queryset) -> None:
        by = principal_of(request)
        run_for_each(self, request, queryset, lambda stream: stream_delete(by=by, stream=stream))

    @admin.action(description="Import now (every tag from an external image)")
    def import_now(self, request, queryset) -> None:
        tags = Tag.objects.filter(stream__in=queryset).select_related("stream__project")
        by = principal_of(request)
        run_for_each(self, request, tags, lambda tag: enqueue_import(tag, by))


def enqueue_import(tag: Tag, by: Principal) -> str | None:
    if not tags_import_now([tag], by=by):
        return None
    return f"Import of {tag.stream.project.name}/{tag} queued."


class HasConditionFilter(admin.SimpleListFilter):
    title = "last import"
    parameter_name = "import"

    def lookups(self, request, model_admin):
        return [("failed", "failed"), ("ok", "no failure")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.exclude(condition_reason="")
        if self.value() == "ok":
            return queryset.filter(condition_reason="")
        return queryset


class TagEventInline(NewestInline):
    model = TagEvent
    parent_field = "tag"
    verbose_name_plural = f"history (newest {INLINE_LIMIT})"
    fields = ("created", "docker_image_reference", "image_digest", "generation", "cause", "actor")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("image")

    @admin.display(description="image")
    def image_digest(self, event) -> str:
        return event.digest


@admin.register(Tag)
class TagAdmin(ServiceAdmin):
    list_display = [
        "name",
        "stream",
        "source",
        "scheduled",
        "current_image",
        "history",
        "next_check_at",
        "condition_reason",
    ]
    list_select_related = ["stream__project"]
    list_filter = ["scheduled", "from_kind", "import_mode", HasConditionFilter]
    search_fields = ["name", "stream__name", "stream__project__name", "from_name"]
    fields = (
        "stream",
        "name",
        "source",
        "reference",
        "scheduled",
        "insecure",
        "import_mode",
        "reference_policy",
        "policy",
        "policy_tag",
        "generation",
        "condition",
        "last_checked_at",
        "next_check_at",
        "check_failures",
        "created",
        "updated",
    )
    readonly_fields = fields
    inlines = [TagEventInline]
    actions = ["import_now", "pause_scheduling", "resume_scheduling"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(head_digest=newest_head("pk"), history_n=Count("events"))
        )

    @admin.display(description="source")
    def source(self, tag) -> str:
        where = f"{tag.from_namespace}/" if tag.from_namespace else ""
        return f"{tag.from_kind} {where}{tag.from_name}".strip() or "— (pushed)"

    @admin.display(description="current image")
    def current_image(self, tag) -> str:
        return short(tag.head_digest)

    @admin.display(description="history", ordering="history_n")
    def history(self, tag) -> int:
        return tag.history_n

    @admin.display(description="last import failure")
    def condition(self, tag) -> str:
        if not tag.has_condition:
            return "—"
        return (
            f"{tag.condition_reason}: {tag.condition_message} ({tag.condition_time:%Y-%m-%d %H:%M})"
        )

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Tag) -> None:
        _delete(obj, principal_of(request))

    def delete_queryset(self, request, queryset) -> None:
        tags = queryset.select_related("stream__project")
        run_for_each(self, request, tags, lambda tag: _delete(tag, principal_of(request)))

    @admin.action(description="Import now")
    def import_now(self, request, queryset) -> None:
        by = principal_of(request)
        tags = queryset.select_related("stream__project")
        run_for_each(self, request, tags, lambda tag: enqueue_import(tag, by))

    @admin.action(description="Pause scheduled imports")
    def pause_scheduling(self, request, queryset) -> None:
        self._set_scheduled(request, queryset.filter(scheduled=True), scheduled=False)

    @admin.action(description="Resume scheduled imports")
    def resume_scheduling(self, request, queryset) -> None:
        self._set_scheduled(request, queryset.filter(scheduled=False), scheduled=True)

    def _set_scheduled(self, request, queryset, *, scheduled: bool) -> None:
        """`oc tag --scheduled[=false]`: the same spec service as the API."""

        def change(tag: Tag) -> str:
            result = tag_spec_update(
                project=tag.stream.project,
                tag=tag,
                scheduled=scheduled,
                by=principal_of(request),
            )
            return result.message

        run_for_each(self, request, queryset.select_related("stream__project"), change)


@admin.register(TagEvent)
class TagEventAdmin(ReadOnlyMixin, ServiceAdmin):
    list_display = ["created", "tag_name", "image_digest", "cause", "actor", "generation"]
    list_select_related = ["tag__stream__project", "image"]
    list_filter = ["cause"]
    search_fields = ["tag__name", "tag__stream__name", "image__digest", "actor"]
    date_hierarchy = "created"
    fields = ("tag", "created", "docker_image_reference", "image", "generation", "cause", "actor")
    readonly_fields = fields

    @admin.display(description="tag", ordering="tag__stream__name")
    def tag_name(self, event) -> str:
        tag = event.tag
        return f"{tag.stream.project.name}/{tag.stream.name}:{tag.name}"

    @admin.display(description="image")
    def image_digest(self, event) -> str:
        return short(event.digest)


def _delete(tag: Tag, by: Principal) -> None:
    project = tag.stream.project
    tag_delete(by=by, project=project, destinations=[f"{tag.stream.name}:{tag.name}"])
