"""URLs of a project's team pages (admins only), included under /p/<project>/."""

from __future__ import annotations

from django.urls import path

from imagestreams.web.views import teams

account = "serviceaccounts/<str:name>/"

urlpatterns = [
    path("members/", teams.members_view, name="members"),
    path("members/<str:username>/role", teams.member_role_view, name="member-role"),
    path("members/<str:username>/remove", teams.member_remove_view, name="member-remove"),
    path("serviceaccounts/", teams.service_accounts_view, name="service-accounts"),
    path(account, teams.service_account_view, name="service-account"),
    path(f"{account}role", teams.service_account_role_view, name="service-account-role"),
    path(f"{account}delete", teams.service_account_delete_view, name="service-account-delete"),
    path(
        f"{account}tokens",
        teams.service_account_token_create_view,
        name="service-account-token-create",
    ),
    path(
        f"{account}tokens/<int:token_id>/revoke",
        teams.service_account_token_revoke_view,
        name="service-account-token-revoke",
    ),
    path("sharing/", teams.sharing_view, name="sharing"),
    path("sharing/<int:share_id>/revoke", teams.share_revoke_view, name="share-revoke"),
    path("audit/", teams.audit_view, name="audit"),
    path("audit/export", teams.audit_export_view, name="audit-export"),
]
