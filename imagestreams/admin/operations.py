"""Operator settings (one row, edited at run time) and the metric counters."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import escape, format_html_join

from imagestreams import policy
from imagestreams.models import OperatorSettings
from imagestreams.models.operations import SINGLETON_ID
from imagestreams.operations.registries import format_locations
from imagestreams.operations.runtime import (
    EDITABLE,
    forget,
    operator_settings_clean,
    operator_settings_update,
)
from imagestreams.services.errors import ServiceError

PRIVATE_CHOICES = [("", "environment default"), ("true", "allowed"), ("false", "refused")]


def environment_defaults() -> dict[str, str]:
    """What each setting is when left empty (README, Configuration)."""
    private_imports = getattr(settings, "IMPORT_ALLOW_PRIVATE_ADDRESSES", True)
    return {
        "allowed_registries_for_import": settings.ALLOWED_REGISTRIES_FOR_IMPORT or "any registry",
        "insecure_registries": ", ".join(settings.INSECURE_REGISTRIES) or "none",
        "scheduled_interval": f"{settings.SCHEDULED_INTERVAL:g} seconds",
        "scheduled_minimum_interval": f"{settings.SCHEDULED_MINIMUM_INTERVAL:g} seconds",
        "registry_max_concurrency": str(settings.REGISTRY_MAX_CONCURRENCY),
        "registry_requests_per_second": f"{settings.REGISTRY_REQUESTS_PER_SECOND:g}",
        "registry_timeout": f"{settings.REGISTRY_TIMEOUT:g} seconds",
        "max_images_bulk_imported": str(settings.MAX_IMAGES_BULK_IMPORTED),
        "default_import_mode": settings.DEFAULT_IMPORT_MODE,
        "import_private_addresses": "allowed" if private_imports else "refused",
        "webhook_private_addresses": (
            "allowed" if settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES else "refused"
        ),
    }


def effective_settings() -> list[tuple[str, str]]:
    """What services use right now (this process), by setting."""
    forget()  # show the stored values, not this process's cached copy
    allowed = policy.allowed_registries_for_import()
    return [
        ("registries allowed for import", format_locations(allowed) or "any registry"),
        ("insecure registries", ", ".join(policy.insecure_registries()) or "none"),
        ("scheduled interval", f"{policy.scheduled_interval():g} seconds"),
        ("scheduled minimum interval", f"{policy.scheduled_minimum_interval():g} seconds"),
        ("registry concurrency", str(policy.registry_max_concurrency())),
        ("registry requests per second", f"{policy.registry_requests_per_second():g}"),
        ("registry timeout", f"{policy.registry_timeout():g} seconds"),
        ("bulk import cap", str(policy.max_images_bulk_imported())),
        ("default import mode", policy.default_import_mode()),
        ("private addresses for imports", _allowed(policy.private_networks_allowed_for_imports())),
        (
            "private addresses for webhooks",
            _allowed(policy.private_networks_allowed_for_webhooks()),
        ),
    ]


def _allowed(value: bool) -> str:
    return "allowed" if value else "refused"


class OperatorSettingsForm(forms.ModelForm):
    import_private_addresses = forms.TypedChoiceField(
        choices=PRIVATE_CHOICES,
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        help_text="Loopback, private and link-local addresses as import sources.",
    )
    webhook_private_addresses = forms.TypedChoiceField(
        choices=PRIVATE_CHOICES,
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        help_text="Loopback, private and link-local addresses as webhook targets.",
    )

    class Meta:
        model = OperatorSettings
        fields = EDITABLE
        widgets = {
            "allowed_registries_for_import": forms.Textarea(attrs={"rows": 4}),
            "insecure_registries": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("import_private_addresses", "webhook_private_addresses"):
            value = getattr(self.instance, name)
            self.initial[name] = "" if value is None else ("true" if value else "false")
        for name, default in environment_defaults().items():
            field = self.fields[name]
            # The admin shows help texts as HTML.
            field.help_text = escape(
                f"{field.help_text} Empty: the environment's value ({default})."
            )

    def clean(self):
        cleaned = super().clean()
        try:
            self.stored = operator_settings_clean({name: cleaned.get(name) for name in EDITABLE})
        except ServiceError as exc:
            message = {exc.field: exc.message} if exc.field else exc.message
            raise forms.ValidationError(message) from None
        return cleaned


@admin.register(OperatorSettings)
class OperatorSettingsAdmin(admin.ModelAdmin):
    """One page: the settings, with what each empty field falls back to and
    what the services use right now. Only superusers (operators) see it."""

    form = OperatorSettingsForm
    readonly_fields = ["in_effect", "updated", "updated_by"]
    fieldsets = [
        (
            "Imports",
            {
                "fields": [
                    "allowed_registries_for_import",
                    "insecure_registries",
                    "default_import_mode",
                    "max_images_bulk_imported",
                ]
            },
        ),
        (
            "Scheduled imports and registry limits",
            {
                "fields": [
                    "scheduled_interval",
                    "scheduled_minimum_interval",
                    "registry_max_concurrency",
                    "registry_requests_per_second",
                    "registry_timeout",
                ]
            },
        ),
        ("Network", {"fields": ["import_private_addresses", "webhook_private_addresses"]}),
        ("In effect", {"fields": ["in_effect", "updated", "updated_by"]}),
    ]

    @admin.display(description="values in use")
    def in_effect(self, obj) -> str:
        return format_html_join("\n", "<div><b>{}</b>: {}</div>", effective_settings())

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
        saved = operator_settings_update(changes=form.stored, actor=request.user.get_username())
        obj.pk = saved.pk
