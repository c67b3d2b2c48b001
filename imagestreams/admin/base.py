"""What every admin page shares: changes go through services, and actions
report per object. Only superusers use the admin (imagestreams.operator_admin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from imagestreams.access import Principal, acting
from imagestreams.services.errors import ServiceError

_T = TypeVar("_T")


def principal_of(request) -> Principal:
    """Who acts on an admin page: the operator, through the admin."""
    return acting(request.user, "admin")


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose changes go through services: their refusals are shown
    as messages. Only superusers get here (imagestreams.operator_admin)."""

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
    objects: Iterable[_T],
    action: Callable[[_T], str | None],
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
