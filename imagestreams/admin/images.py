"""Images: immutable, shared by every stream that references them, removed
only by pruning (manage.py prune_images). Operators only look."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.template.defaultfilters import filesizeformat

from imagestreams.admin.base import ReadOnlyInline, ReadOnlyMixin
from imagestreams.models import Image, ImageManifest


class ImageManifestInline(ReadOnlyInline):
    model = ImageManifest
    fk_name = "parent"
    verbose_name_plural = "platforms (index entries)"
    fields = ("position", "platform", "child_digest", "media_type", "size")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child")

    @admin.display(description="image")
    def child_digest(self, entry) -> str:
        return entry.child.digest


@admin.register(Image)
class ImageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["digest", "media_type", "platform", "human_size", "managed", "uses", "created"]
    list_filter = ["managed", "media_type", "architecture", "os"]
    search_fields = ["digest", "docker_image_reference"]
    date_hierarchy = "created"
    exclude = ["manifest", "config_raw"]
    readonly_fields = ["platform", "human_size", "uses", "manifest_json"]
    inlines = [ImageManifestInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(uses_n=Count("tag_events"))

    def get_readonly_fields(self, request, obj=None):
        model_fields = [f.name for f in Image._meta.fields if f.name not in self.exclude]
        return [*model_fields, *self.readonly_fields]

    @admin.display(description="size", ordering="size")
    def human_size(self, image) -> str:
        return filesizeformat(image.size)

    @admin.display(description="history entries", ordering="uses_n")
    def uses(self, image) -> int:
        return image.uses_n

    @admin.display(description="manifest")
    def manifest_json(self, image) -> str:
        return image.manifest


@admin.register(ImageManifest)
class ImageManifestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["parent", "position", "platform", "child", "media_type", "size"]
    list_select_related = ["parent", "child"]
    search_fields = ["parent__digest", "child__digest"]
    readonly_fields = ("parent", "position", "child", "media_type", "size", "platform")
    fields = readonly_fields
