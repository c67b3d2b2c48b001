"""Reads for project admins (members, service accounts and their tokens,
shares given) and for everyone who receives shares."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from imagestreams.access import streams_shared_with, streams_shared_with_project
from imagestreams.models import (
    ApiToken,
    ImageStream,
    Membership,
    Project,
    ServiceAccount,
    Share,
    Tag,
    TagEvent,
)
from imagestreams.selectors.streams import history_prefetch


def members_list(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )


def service_accounts_list(*, project: Project) -> QuerySet[ServiceAccount]:
    """The project's service accounts with how many usable tokens each has."""
    usable = Q(tokens__revoked_at__isnull=True) & (
        Q(tokens__expires_at__isnull=True) | Q(tokens__expires_at__gt=timezone.now())
    )
    return (
        ServiceAccount.objects.filter(project=project)
        .select_related("project")
        .annotate(token_count=Count("tokens", filter=usable))
        .order_by("name")
    )


def service_account_tokens(*, account: ServiceAccount) -> QuerySet[ApiToken]:
    """Tokens not revoked (expired ones included, so admins see them lapse)."""
    return ApiToken.objects.filter(service_account=account, revoked_at__isnull=True).order_by(
        "-created", "-id"
    )


def shares_list(*, project: Project) -> QuerySet[Share]:
    """What `project` shares, and with whom, newest first."""
    return (
        Share.objects.filter(project=project)
        .select_related("project", "stream", "target_project", "target_user")
        .order_by("-created", "-id")
    )


def stream_shares(*, stream: ImageStream) -> QuerySet[Share]:
    """Who may pull `stream` through a share: of this stream, or of its whole project."""
    return (
        Share.objects.filter(project_id=stream.project_id)
        .filter(Q(stream=stream) | Q(stream__isnull=True))
        .select_related("target_project", "target_user")
        .order_by("-created", "-id")
    )


def _with_tags(streams: QuerySet[ImageStream]) -> QuerySet[ImageStream]:
    tags = Tag.objects.order_by("name").prefetch_related(history_prefetch())
    return streams.prefetch_related(Prefetch("tags", queryset=tags))


def shared_streams_list(*, project: Project) -> QuerySet[ImageStream]:
    """Streams other projects share with `project`, with tags and histories."""
    return _with_tags(streams_shared_with_project(project)).order_by("project__name", "name")


def shared_streams_for(principal) -> QuerySet[ImageStream]:
    """Every stream shared with `principal`, directly or through its projects."""
    return _with_tags(streams_shared_with(principal)).order_by("project__name", "name")


def _overview(streams: QuerySet[ImageStream]) -> QuerySet[ImageStream]:
    last_update = Subquery(
        TagEvent.objects.filter(tag__stream=OuterRef("pk"))
        .order_by("-created")
        .values("created")[:1]
    )
    return streams.annotate(tag_count=Count("tags"), last_update=last_update).order_by(
        "project__name", "name"
    )


def shared_streams_overview(*, project: Project) -> QuerySet[ImageStream]:
    """For the project page: streams shared with it, with tag count and last update."""
    return _overview(streams_shared_with_project(project))


def shared_with_user_overview(user) -> QuerySet[ImageStream]:
    """For the projects page: streams shared with `user` from projects they are not in."""
    return _overview(streams_shared_with(user))
