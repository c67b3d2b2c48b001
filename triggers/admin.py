from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from imagestreams.services.errors import ServiceError
from triggers.models import Delivery, DeliveryAttempt, RegistryEvent, TagChange, Trigger
from triggers.services.deliveries import delivery_resend, trigger_send_test
from triggers.services.triggers import TriggerSpec, validate_spec


class TriggerForm(forms.ModelForm):
    """Secret and token are write-only: typed once, stored encrypted, never shown."""

    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="HMAC signing key. Leave empty to keep the stored one.",
    )
    token = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="GitHub/GitLab token (or a bearer token). Leave empty to keep the stored one.",
    )

    class Meta:
        model = Trigger
        fields = ["project", "name", "stream", "tag", "preset", "url", "options", "enabled"]

    def clean(self):
        cleaned = super().clean()
        has_token = bool(cleaned.get("token") or self.instance.token_encrypted)
        spec = TriggerSpec(
            stream=cleaned.get("stream", ""),
            tag=cleaned.get("tag", ""),
            preset=cleaned.get("preset", ""),
            url=cleaned.get("url", ""),
            options=cleaned.get("options") or {},
            has_token=has_token,
        )
        try:
            checked = validate_spec(spec)
        except ServiceError as exc:
            raise ValidationError(exc.message) from None
        cleaned["url"], cleaned["options"] = checked.url, checked.options
        return cleaned

    def save(self, commit: bool = True) -> Trigger:
        trigger = super().save(commit=False)
        if self.cleaned_data.get("secret"):
            trigger.set_secret(self.cleaned_data["secret"])
        if self.cleaned_data.get("token"):
            trigger.set_token(self.cleaned_data["token"])
        if trigger.enabled:
            trigger.disabled_reason = ""
        if commit:
            trigger.save()
        return trigger


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    form = TriggerForm
    list_display = ["name", "project", "watches", "preset", "enabled", "disabled_reason"]
    list_select_related = ["project"]
    list_filter = ["preset", "enabled"]
    search_fields = ["name", "project__name", "stream", "url"]
    readonly_fields = [
        "consecutive_failures",
        "last_delivery_at",
        "last_response_status",
        "last_error",
        "disabled_reason",
    ]
    actions = ["send_test"]

    @admin.action(description="Send a test delivery")
    def send_test(self, request, queryset) -> None:
        for trigger in queryset.select_related("project"):
            result = trigger_send_test(trigger=trigger)
            level = messages.SUCCESS if result.succeeded else messages.ERROR
            detail = result.attempt.error or f"answered {result.attempt.response_status}"
            self.message_user(request, f"{trigger}: {detail}", level)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started", "duration_ms", "response_status", "outcome", "error", "retry_at"]
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["uuid", "trigger", "kind", "status", "attempts", "response_status", "created"]
    list_select_related = ["trigger__project"]
    list_filter = ["status", "kind"]
    search_fields = ["uuid", "trigger__name"]
    raw_id_fields = ["trigger", "change"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]

    @admin.action(description="Re-send")
    def resend(self, request, queryset) -> None:
        for delivery in queryset.select_related("trigger"):
            try:
                delivery_resend(delivery=delivery)
            except ServiceError as exc:
                self.message_user(request, f"{delivery}: {exc.message}", messages.ERROR)


@admin.register(TagChange)
class TagChangeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "previous_digest", "cause", "actor", "created"]
    search_fields = ["project_name", "stream_name", "tag_name", "digest"]
    raw_id_fields = ["tag"]
    readonly_fields = [f.name for f in TagChange._meta.fields]


@admin.register(RegistryEvent)
class RegistryEventAdmin(admin.ModelAdmin):
    list_display = ["__str__", "source", "status", "message", "timestamp", "received"]
    list_filter = ["status", "source"]
    search_fields = ["event_id", "repository", "tag", "digest"]
    readonly_fields = [f.name for f in RegistryEvent._meta.fields]
