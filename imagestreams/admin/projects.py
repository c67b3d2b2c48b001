"""Projects and who may use them: members, service accounts and their tokens,
shares, registry credentials, the audit log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from imagestreams.access import Principal
from imagestreams.admin.base import (
    ReadOnlyInline,
    ReadOnlyMixin,
    ServiceAdmin,
    principal_of,
    run_for_each,
)
from imagestreams.models import (
    ApiToken,
    AuditEvent,
    Membership,
    Project,
    RegistryCredential,
    ServiceAccount,
    Share,
)
from imagestreams.services import teams, tokens
from imagestreams.services.credentials import credential_set
from imagestreams.services.projects import project_create


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "created")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "project")


class ServiceAccountInline(ReadOnlyInline):
    model = ServiceAccount
    fields = ("name", "role", "description", "created")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "display_name", "description"]


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    form = ProjectForm
    list_display = ["name", "display_name", "stream_count", "member_count", "created"]
    search_fields = ["name", "display_name"]
    date_hierarchy = "created"
    inlines = [MembershipInline, ServiceAccountInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                streams_n=Count("streams", distinct=True),
                members_n=Count("memberships", distinct=True),
            )
            .order_by("name")  # GROUP BY drops Meta.ordering; autocomplete pages need one
        )

    @admin.display(description="streams", ordering="streams_n")
    def stream_count(self, project) -> int:
        return project.streams_n

    @admin.display(description="members", ordering="members_n")
    def member_count(self, project) -> int:
        return project.members_n

    def get_readonly_fields(self, request, obj=None):
        # A project's name is part of every pull spec of its streams.
        return ["name"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = project_create(
            name=obj.name,
            by=principal_of(request),
            display_name=obj.display_name,
            description=obj.description,
        )
        obj.pk = created.pk


class MembershipForm(forms.ModelForm):
    """Members are set through the teams service (it keeps one admin)."""

    class Meta:
        model = Membership
        fields = ["project", "user", "role"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("user") != self.instance.user:
            raise ValidationError("The user of a membership cannot change; add a new one.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    form = MembershipForm
    list_display = ["user", "project", "role", "created"]
    list_select_related = ["user", "project"]
    list_filter = ["role"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["project"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change) -> None:
        saved = teams.member_set(
            by=principal_of(request),
            project=obj.project,
            username=obj.user.get_username(),
            role=obj.role,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        teams.member_remove(
            by=principal_of(request), project=obj.project, username=obj.user.get_username()
        )

    def delete_queryset(self, request, queryset) -> None:
        by = principal_of(request)
        memberships = queryset.select_related("project", "user")
        run_for_each(self, request, memberships, lambda membership: self._remove(membership, by))

    def _remove(self, membership, by: Principal) -> None:
        teams.member_remove(
            by=by,
            project=membership.project,
            username=membership.user.get_username(),
        )


class TokenInline(ReadOnlyInline):
    model = ApiToken
    fk_name = "service_account"
    fields = ("name", "key_prefix", "created", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(ServiceAccount)
class ServiceAccountAdmin(ServiceAdmin):
    list_display = ["name", "project", "role", "active_tokens", "created"]
    list_select_related = ["project"]
    list_filter = ["role"]
    search_fields = ["name", "project__name", "description"]
    autocomplete_fields = ["project"]
    fields = ["project", "name", "role", "description"]
    inlines = [TokenInline]

    def get_queryset(self, request):
        active = Q(tokens__revoked_at__isnull=True)
        return super().get_queryset(request).annotate(active_n=Count("tokens", filter=active))

    @admin.display(description="active tokens", ordering="active_n")
    def active_tokens(self, account) -> int:
        return account.active_n

    def get_readonly_fields(self, request, obj=None):
        return ["project", "name", "description"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        if change:
            teams.service_account_update(by=principal_of(request), account=obj, role=obj.role)
            return
        created = teams.service_account_create(
            by=principal_of(request),
            project=obj.project,
            name=obj.name,
            role=obj.role,
            description=obj.description,
        )
        obj.pk = created.pk

    def delete_model(self, request, obj: ServiceAccount) -> None:
        teams.service_account_delete(by=principal_of(request), account=obj)

    def delete_queryset(self, request, queryset) -> None:
        accounts = queryset.select_related("project")
        run_for_each(
            self,
            request,
            accounts,
            lambda a: teams.service_account_delete(by=principal_of(request), account=a),
        )


@admin.register(Share)
class ShareAdmin(ServiceAdmin):
    """Shares are granted on the team pages and the API; here they are
    listed and revoked."""

    list_display = ["__str__", "project", "shared_stream", "receiver", "created_by", "created"]
    list_select_related = ["project", "stream", "target_project", "target_user"]
    search_fields = ["project__name", "stream__name", "target_project__name"]
    readonly_fields = ["project", "stream", "target_project", "target_user", "created_by"]

    @admin.display(description="stream")
    def shared_stream(self, share) -> str:
        return share.stream.name if share.stream_id else "every stream"

    @admin.display(description="shared with")
    def receiver(self, share) -> str:
        if share.target_project_id:
            return f"project {share.target_project.name}"
        return f"user {share.target_user.get_username()}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        teams.share_revoke(by=principal_of(request), project=obj.project, share_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        by = principal_of(request)
        shares = queryset.select_related("project")
        run_for_each(self, request, shares, lambda share: self._revoke(share, by))

    def _revoke(self, share, by: Principal) -> None:
        teams.share_revoke(by=by, project=share.project, share_id=share.pk)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, ServiceAdmin):
    list_display = ["created", "actor", "interface", "action", "project_name", "target"]
    list_filter = ["interface", "action"]
    search_fields = ["actor", "action", "target", "project_name"]
    date_hierarchy = "created"
    fields = (
        "created",
        "actor",
        "interface",
        "action",
        "project_name",
        "target",
        "before",
        "after",
    )
    readonly_fields = fields


class ActiveTokenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("revoked", "revoked"), ("expired", "expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            return queryset.filter(unexpired, revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdmin):
    """Tokens are created by their owners (shown once); operators see and
    revoke them. The hash is never shown."""

    list_display = ["name", "key_prefix", "owner", "state", "created", "last_used_at"]
    list_select_related = ["user", "service_account__project"]
    list_filter = [ActiveTokenFilter]
    search_fields = ["name", "key_prefix", "user__username", "service_account__name"]
    fields = (
        "name",
        "key_prefix",
        "owner",
        "state",
        "created",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="owner")
    def owner(self, token) -> str:
        if token.service_account_id:
            return f"service account {token.service_account}"
        return f"user {token.user.get_username()}"

    @admin.display(description="state")
    def state(self, token) -> str:
        if token.revoked_at:
            return "revoked"
        return "active" if token.is_active else "expired"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        def revoke_one(token: ApiToken) -> str:
            if (account := token.service_account) is not None:
                teams.service_account_token_revoke(
                    by=principal_of(request), account=account, token_id=token.pk
                )
            else:
                tokens.token_revoke(by=principal_of(request), owner=token.user, token_id=token.pk)
            return f"Token {token} revoked."

        active = queryset.filter(revoked_at__isnull=True).select_related(
            "user", "service_account__project"
        )
        run_for_each(self, request, active, revoke_one)
        if not active:
            self.message_user(request, "The selected tokens were already revoked.", messages.INFO)


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
class RegistryCredentialAdmin(ServiceAdmin):
    form = RegistryCredentialForm
    list_display = ["registry", "username", "project", "updated"]
    list_select_related = ["project"]
    search_fields = ["registry", "username", "project__name"]
    autocomplete_fields = ["project"]

    def save_model(self, request, obj, form, change) -> None:
        password = form.cleaned_data.get("password") or obj.get_password()
        saved = credential_set(
            by=principal_of(request),
            project=obj.project,
            registry=obj.registry,
            username=obj.username,
            password=password,
        )
        obj.pk = saved.pk
