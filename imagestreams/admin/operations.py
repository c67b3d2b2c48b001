"""Operator settings (the image configuration, one row) and the metric counters."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join

from imagestreams.admin.base import principal_of
from imagestreams.models import OperatorSettings
from imagestreams.models.operations import SINGLETON_ID
from imagestreams.services.errors import ServiceError
from imagestreams.services.image_config import (
    EDITABLE,
    image_config_clean,
    image_config_update,
)


def environment_settings() -> list[tuple[str, str]]:
    """The settings operators change in the environment (README, Configuration),
    shown for reference: this page cannot change them."""
    return [
        ("IMAGESTREAMS_SCHEDULED_INTERVAL", f"{settings.SCHEDULED_INTERVAL:g} s"),
        ("IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL", f"{settings.SCHEDULED_MINIMUM_INTERVAL:g} s"),
        ("IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY", str(settings.REGISTRY_MAX_CONCURRENCY)),
        ("IMAGESTREAMS_REGISTRY_REQUESTS_PER_SECOND", f"{settings.REGISTRY_REQUESTS_PER_SECOND:g}"),
        ("IMAGESTREAMS_REGISTRY_TIMEOUT", f"{settings.REGISTRY_TIMEOUT:g} s"),
        ("IMAGESTREAMS_MAX_IMAGES_BULK_IMPORTED", str(settings.MAX_IMAGES_BULK_IMPORTED)),
        ("IMAGESTREAMS_DEFAULT_IMPORT_MODE", settings.DEFAULT_IMPORT_MODE),
        (
            "IMAGESTREAMS_IMPORT_ALLOW_PRIVATE_ADDRESSES",
            _allowed(settings.IMPORT_ALLOW_PRIVATE_ADDRESSES),
        ),
        (
            "IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES",
            _allowed(settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES),
        ),
    ]


def _allowed(value: bool) -> str:
    return "allowed" if value else "refused"


class OperatorSettingsForm(forms.ModelForm):
    class Meta:
        model = OperatorSettings
        fields = EDITABLE
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in EDITABLE}

    def clean(self):
        cleaned = super().clean()
        try:
            self.stored = image_config_clean({name: cleaned.get(name) for name in EDITABLE})
        except ServiceError as exc:
            message = {exc.field: exc.message} if exc.field else exc.message
            raise forms.ValidationError(message) from None
        return cleaned


@admin.register(OperatorSettings)
class OperatorSettingsAdmin(admin.ModelAdmin):
    """One page: the image configuration, and (read-only) the settings that
    come from the environment. Only superusers (operators) see it."""

    form = OperatorSettingsForm
    readonly_fields = ["environment", "updated", "updated_by"]
    fieldsets = [
        ("Image configuration", {"fields": EDITABLE}),
        ("Set in the environment", {"fields": ["environment"]}),
        ("Last change", {"fields": ["updated", "updated_by"]}),
    ]

    @admin.display(description="values")
    def environment(self, obj) -> str:
        return format_html_join("\n", "<div><b>{}</b>: {}</div>", environment_settings())

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser and not OperatorSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """There is one row: go straight to it (or to creating it)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if OperatorSettings.objects.filter(pk=SINGLETON_ID).exists():
            url = reverse("admin:imagestreams_operatorsettings_change", args=[SINGLETON_ID])
        else:
            url = reverse("admin:imagestreams_operatorsettings_add")
        return HttpResponseRedirect(url)

    def save_model(self, request, obj, form, change) -> None:
        saved = image_config_update(changes=form.stored, by=principal_of(request))
        obj.pk = saved.pk
