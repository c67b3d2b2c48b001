"""What every admin page shares: staff who are not superusers see and change
only the objects of projects they administer (imagestreams.access decides
who that is), changes go through services, and actions report per object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect

from imagestreams import access
from imagestreams.models import Project
from imagestreams.services.errors import ServiceError

ADMIN_RIGHTS: tuple[str, ...] = ("admin",)


def administered_project_ids(request, rights: tuple[str, ...] = ADMIN_RIGHTS) -> set[int] | None:
    """Projects where the user has every one of `rights` (imagestreams.access
    actions); None for superusers (all of them). Computed once per request."""
    user = request.user
    if user.is_superuser:
        return None
    if not hasattr(request, "_administered_project_ids"):
        request._administered_project_ids = {}
    cache = request._administered_project_ids
    if rights not in cache:
        projects = access.projects_for(user) if user.is_active and user.is_staff else []
        cache[rights] = {
            project.pk
            for project in projects
            if all(access.can(user, project, right) for right in rights)
        }
    return cache[rights]


class ProjectScopedAdmin(admin.ModelAdmin):
    """Superusers see everything; other staff the objects of the projects
    they administer. `project_path` leads from the model to its Project
    (empty for Project itself)."""

    project_path = "project"
    # What a staff member needs in a project (imagestreams.access actions) to
    # see its objects here.
    rights: tuple[str, ...] = ADMIN_RIGHTS

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        ids = administered_project_ids(request, self.rights)
        if ids is None:
            return queryset
        lookup = f"{self.project_path}__in" if self.project_path else "pk__in"
        return queryset.filter(**{lookup: ids})

    def project_of(self, obj) -> Project:
        for part in filter(None, self.project_path.split("__")):
            obj = getattr(obj, part)
        return obj

    def _scoped(self, request, obj=None) -> bool:
        ids = administered_project_ids(request, self.rights)
        if obj is None:
            return bool(ids)
        return self.project_of(obj).pk in ids

    def has_module_permission(self, request) -> bool:
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return self._scoped(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._scoped(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._scoped(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._scoped(request, obj)

    def has_add_permission(self, request) -> bool:
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self._scoped(request)

    def get_inlines(self, request, obj):
        # Inlines here only show what services wrote; nothing to show when adding.
        return self.inlines if obj is not None else []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Saving calls a service; its refusal is shown, and its transaction
        # (the admin's) is rolled back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = administered_project_ids(request, self.rights)
        if db_field.related_model is Project and ids is not None:
            kwargs["queryset"] = Project.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyMixin:
    """Rows written only by services (history, logs): shown, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Inlines show the newest rows only; the full list is one click away.
INLINE_LIMIT = 50


class NewestInline(ReadOnlyInline):
    """The newest INLINE_LIMIT rows of the object being changed, so that a
    tag with years of history or a busy trigger still opens at once."""

    parent_field = ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        object_id = match.kwargs.get("object_id") if match else None
        if object_id:
            newest = self.model.objects.filter(**{self.parent_field: object_id}).order_by("-id")
            queryset = queryset.filter(pk__in=newest.values("pk")[:INLINE_LIMIT])
        return queryset


def run_for_each(
    model_admin: admin.ModelAdmin,
    request,
    objects: Iterable,
    action: Callable[[object], str | None],
) -> None:
    """Call `action` (a service call) for each object; one message per
    object: what it said, or the service's refusal."""
    for obj in objects:
        try:
            said = action(obj)
        except ServiceError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            continue
        if said:
            model_admin.message_user(request, said, messages.SUCCESS)
