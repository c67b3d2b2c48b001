"""Triggers in the admin: created and changed through the triggers service
(secrets write-only), paused or resumed, tested; deliveries re-sent."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from imagestreams.admin.base import (
    INLINE_LIMIT,
    NewestInline,
    ReadOnlyMixin,
    ServiceAdmin,
    principal_of,
    run_for_each,
)
from imagestreams.services.errors import ServiceError
from triggers.models import Delivery, DeliveryAttempt, Trigger
from triggers.services.deliveries import delivery_resend, trigger_send_test
from triggers.services.triggers import (
    UNSET,
    TriggerSpec,
    trigger_create,
    trigger_delete,
    trigger_update,
    validate_spec,
)


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
        help_text="GitHub/GitLab token, a bearer token, or a token allowed to push (git). "
        "Leave empty to keep the stored one.",
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
            has_ssh_key=bool(self.instance.ssh_key_encrypted),
        )
        try:
            checked = validate_spec(spec)
        except ServiceError as exc:
            raise ValidationError(exc.message) from None
        cleaned["url"], cleaned["options"] = checked.url, checked.options
        return cleaned


class DeliveryInline(NewestInline):
    model = Delivery
    parent_field = "trigger"
    verbose_name_plural = f"deliveries (newest {INLINE_LIMIT})"
    fields = ("uuid", "kind", "status", "attempts", "response_status", "error", "created")
    readonly_fields = fields


@admin.register(Trigger)
class TriggerAdmin(ServiceAdmin):
    form = TriggerForm
    list_display = [
        "name",
        "project",
        "watches",
        "preset",
        "enabled",
        "deliveries_sent",
        "deliveries_failed",
        "consecutive_failures",
        "last_delivery_at",
        "disabled_reason",
    ]
    list_select_related = ["project"]
    list_filter = ["preset", "enabled"]
    search_fields = ["name", "project__name", "stream", "url"]
    autocomplete_fields = ["project"]
    readonly_fields = [
        "consecutive_failures",
        "last_delivery_at",
        "last_response_status",
        "last_error",
        "disabled_reason",
    ]
    inlines = [DeliveryInline]
    actions = ["send_test", "enable", "disable"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_n=Count("deliveries", filter=Q(deliveries__status="succeeded")),
                failed_n=Count("deliveries", filter=Q(deliveries__status="failed")),
            )
        )

    @admin.display(description="sent", ordering="sent_n")
    def deliveries_sent(self, trigger) -> int:
        return trigger.sent_n

    @admin.display(description="failed", ordering="failed_n")
    def deliveries_failed(self, trigger) -> int:
        return trigger.failed_n

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        spec = {name: data[name] for name in ("stream", "tag", "preset", "url", "options")}
        if not change:
            created = trigger_create(
                by=principal_of(request),
                project=data["project"],
                name=data["name"],
                secret=data.get("secret") or "",
                token=data.get("token") or "",
                enabled=data["enabled"],
                **spec,
            )
            obj.pk = created.pk
            return
        trigger_update(
            by=principal_of(request),
            trigger=obj,
            secret=data.get("secret") or UNSET,
            token=data.get("token") or UNSET,
            # Only a box the operator ticked or cleared: the page may be older
            # than a delivery worker's decision to disable the trigger.
            enabled=data["enabled"] if "enabled" in form.changed_data else UNSET,
            **spec,
        )

    def delete_model(self, request, obj: Trigger) -> None:
        trigger_delete(by=principal_of(request), trigger=obj)

    def delete_queryset(self, request, queryset) -> None:
        triggers = queryset.select_related("project")
        run_for_each(
            self, request, triggers, lambda t: trigger_delete(by=principal_of(request), trigger=t)
        )

    @admin.action(description="Send a test delivery")
    def send_test(self, request, queryset) -> None:
        for trigger in queryset.select_related("project"):
            result = trigger_send_test(by=principal_of(request), trigger=trigger)
            level = messages.SUCCESS if result.succeeded else messages.ERROR
            detail = result.attempt.error or f"answered {result.attempt.response_status}"
            self.message_user(request, f"{trigger}: {detail}", level)

    @admin.action(description="Enable (resume) the selected triggers")
    def enable(self, request, queryset) -> None:
        def resume(trigger: Trigger) -> str:
            trigger_update(by=principal_of(request), trigger=trigger, enabled=True)
            return f"Trigger {trigger} enabled."

        run_for_each(
            self, request, queryset.filter(enabled=False).select_related("project"), resume
        )

    @admin.action(description="Disable (pause) the selected triggers")
    def disable(self, request, queryset) -> None:
        def pause(trigger: Trigger) -> str:
            trigger_update(by=principal_of(request), trigger=trigger, enabled=False)
            return f"Trigger {trigger} paused; its pending deliveries are not sent."

        run_for_each(self, request, queryset.filter(enabled=True).select_related("project"), pause)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    max_num = 0
    can_delete = False
    fields = (
        "number",
        "started",
        "duration_ms",
        "response_status",
        "outcome",
        "error",
        "commit",
        "retry_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, ServiceAdmin):
    list_display = [
        "uuid",
        "trigger",
        "change_of",
        "kind",
        "status",
        "attempts",
        "response_status",
        "created",
        "finished",
    ]
    list_select_related = ["trigger__project", "change"]
    list_filter = ["status", "kind"]
    search_fields = ["uuid", "trigger__name", "change__stream_name", "change__tag_name"]
    date_hierarchy = "created"
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]

    @admin.display(description="change")
    def change_of(self, delivery) -> str:
        return str(delivery.change) if delivery.change_id else "— (test)"

    @admin.action(description="Re-send")
    def resend(self, request, queryset) -> None:
        def send_again(delivery: Delivery) -> str:
            delivery_resend(by=principal_of(request), delivery=delivery)
            return f"Delivery {delivery} queued to be sent again."

        run_for_each(self, request, queryset.select_related("trigger"), send_again)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyMixin, ServiceAdmin):
    list_display = [
        "delivery",
        "number",
        "trigger",
        "outcome",
        "response_status",
        "duration_ms",
        "started",
    ]
    list_select_related = ["delivery__trigger__project"]
    list_filter = ["outcome"]
    search_fields = ["delivery__uuid", "delivery__trigger__name", "request_url"]
    date_hierarchy = "started"
    readonly_fields = [f.name for f in DeliveryAttempt._meta.fields]

    @admin.display(description="trigger")
    def trigger(self, attempt) -> str:
        return str(attempt.delivery.trigger)
