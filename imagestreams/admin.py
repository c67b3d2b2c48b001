from __future__ import annotations

from django.contrib import admin

from imagestreams.models import (
    Image,
    ImageManifest,
    ImageStream,
    Project,
    RegistryCredential,
    Tag,
    TagEvent,
)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "created"]
    search_fields = ["name", "display_name"]


class TagInline(admin.TabularInline):
    model = Tag
    extra = 0
    fields = ["name", "from_kind", "from_name", "scheduled", "generation", "condition_reason"]
    readonly_fields = fields
    show_change_link = True


@admin.register(ImageStream)
class ImageStreamAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "generation", "created"]
    list_select_related = ["project"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    inlines = [TagInline]


class TagEventInline(admin.TabularInline):
    model = TagEvent
    extra = 0
    fields = ["created", "docker_image_reference", "image", "generation", "cause", "actor"]
    readonly_fields = fields
    raw_id_fields = ["image"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "stream", "from_kind", "from_name", "scheduled", "condition_reason"]
    list_select_related = ["stream__project"]
    list_filter = ["from_kind", "scheduled"]
    search_fields = ["name", "stream__name", "from_name"]
    raw_id_fields = ["stream"]
    inlines = [TagEventInline]


class ImageManifestInline(admin.TabularInline):
    model = ImageManifest
    fk_name = "parent"
    extra = 0
    raw_id_fields = ["child"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["digest", "media_type", "architecture", "os", "size", "created"]
    search_fields = ["digest", "docker_image_reference"]
    list_filter = ["media_type", "architecture"]
    inlines = [ImageManifestInline]


@admin.register(RegistryCredential)
class RegistryCredentialAdmin(admin.ModelAdmin):
    list_display = ["registry", "username", "project", "updated"]
    list_select_related = ["project"]
    fields = ["project", "registry", "username"]
