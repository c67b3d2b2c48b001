"""The change feed and the integrated registry's pushes: written only by
services, shown here read-only."""

from __future__ import annotations

from django.contrib import admin

from imagestreams.admin.base import ReadOnlyMixin
from imagestreams.models import RegistryEvent, TagChange


@admin.register(TagChange)
class TagChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Changes keep the names of what changed (the tag may be gone)."""

    list_display = ["__str__", "previous_digest", "cause", "actor", "created", "fanned_out_at"]
    list_filter = ["cause"]
    search_fields = ["project_name", "stream_name", "tag_name", "digest"]
    date_hierarchy = "created"
    readonly_fields = [f.name for f in TagChange._meta.fields]


@admin.register(RegistryEvent)
class RegistryEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Pushes to the integrated registry, as its notifications announced them."""

    list_display = ["__str__", "source", "status", "attempts", "message", "timestamp", "received"]
    list_filter = ["status", "source"]
    search_fields = ["event_id", "repository", "tag", "digest"]
    date_hierarchy = "received"
    readonly_fields = [f.name for f in RegistryEvent._meta.fields]
