"""The Django admin is for operators: superusers only. Teams manage their
projects on the team pages and through the API, where imagestreams.access
decides; the admin is not a fourth authorization surface.

Installed in place of django.contrib.admin (INSTALLED_APPS), so that
`admin.site` and every `@admin.register` use this site.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class OperatorAdminSite(AdminSite):
    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_superuser


class OperatorAdminConfig(AdminConfig):
    default_site = "imagestreams.operator_admin.OperatorAdminSite"
