"""Reads of API tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from imagestreams.models import ApiToken


def tokens_of(*, user) -> QuerySet[ApiToken]:
    """The user's tokens that were not revoked, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created", "-id")
