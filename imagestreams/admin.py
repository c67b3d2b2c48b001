from __future__ import annotations

from django import forms
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
from imagestreams.services.credentials import credential_set


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


class RegistryCredentialForm(forms.ModelForm):
    """The password is write-only: typed once, stored encrypted, never shown."""

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the stored password.",
    )

    class Meta:
        model = RegistryCredential
        fields = ["project", "registry", "username"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("password"):
            self.add_error("password", "A password (or token) is required.")
        return cleaned


@admin.register(RegistryCredential)
class RegistryCredentialAdmin(admin.ModelAdmin):
    form = RegistryCredentialForm
    list_display = ["registry", "username", "project", "updated"]
    list_select_related = ["project"]

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("password") or obj.get_password()
        saved = credential_set(
            project=obj.project, registry=obj.registry, username=obj.username, password=password
        )
        obj.pk = saved.pk
