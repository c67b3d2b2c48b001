"""The one permission check, used by every interface (web pages, API, admin,
tasks acting for a user, the registry token endpoint).

A principal is a user or a service account. Outsiders get NotFound (a
project's or stream's existence is not revealed); principals who may see a
thing but not do what they asked get Forbidden. Superusers are operators and
may do anything. Shares give view (pull) access to one stream or to every
stream of a project, to another project's members and service accounts or to
one user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from imagestreams.models import ImageStream, Membership, Project, Role, ServiceAccount, Share
from imagestreams.models.access import ROLE_RANK
from imagestreams.services.errors import Forbidden, NotFound

# What each action needs; interfaces name actions, never roles.
ACTION_ROLES = {
    "view": Role.VIEWER,  # see, describe, resolve, pull
    "edit": Role.EDITOR,  # import, tag, untag, roll back, push
    # See or manage triggers, on every interface: their URLs and delivery logs
    # often carry secrets (Slack or GitLab tokens in the URL), so viewers never
    # see them.
    "triggers": Role.EDITOR,
    "admin": Role.ADMIN,  # members, sharing, credentials, service accounts, audit
}
# How refusals name an action, where its name alone does not read well.
_ACTION_WORDS = {"triggers": "see or manage triggers"}


@dataclass(frozen=True, eq=False)
class ServiceAccountPrincipal:
    """A service account acting through one of its tokens; quacks like a user
    where interfaces need one (is_authenticated, username)."""

    service_account: ServiceAccount
    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    is_active = True
    pk = None
    id = None

    @property
    def username(self) -> str:
        account = self.service_account
        return f"serviceaccount:{account.project.name}:{account.name}"

    def get_username(self) -> str:
        return self.username


@dataclass(frozen=True, eq=False)
class SystemPrincipal:
    """The service itself (tasks, commands, operators' admin actions): named
    explicitly where a service needs a principal, never assumed from a missing one."""

    username = "system"
    is_authenticated = True
    is_anonymous = False
    is_superuser = True
    is_staff = False
    is_active = True
    pk = None
    id = None

    def get_username(self) -> str:
        return self.username


SYSTEM = SystemPrincipal()


@dataclass(frozen=True)
class Principal:
    """Who acts and through which interface: the one keyword argument `by` of
    every service that writes. The service checks `subject`'s permissions and
    names `name` in history and in the audit log. Interfaces build it once
    (`acting`, `acting_system`); nothing reads it from ambient state."""

    subject: Any  # a user, a ServiceAccountPrincipal or SYSTEM
    interface: str  # web, api, api (isctl), admin, task, command, registry
    name: str  # empty for the service acting on its own: "system" in the audit log


def acting(subject, interface: str) -> Principal:
    """`subject` (the request's user or service account) acting through `interface`."""
    authenticated = getattr(subject, "is_authenticated", False)
    return Principal(subject, interface, subject.get_username() if authenticated else "anonymous")


def acting_system(interface: str = "task", name: str = "") -> Principal:
    """The service itself (a task, a command, a registry notification); `name`
    is who it acts for, where someone asked for the work."""
    return Principal(SYSTEM, interface, name)


def _service_account(principal) -> ServiceAccount | None:
    return getattr(principal, "service_account", None)


def role_in(principal, project: Project) -> str | None:
    if not getattr(principal, "is_authenticated", False):
        return None
    if principal.is_superuser:
        return Role.ADMIN
    account = _service_account(principal)
    if account is not None:
        return account.role if account.project_id == project.pk else None
    membership = Membership.objects.filter(project=project, user=principal).only("role").first()
    return membership.role if membership else None


def role_allows(role: str | None, action: str) -> bool:
    """Whether `role` (None: no role in the project) may do `action`."""
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[ACTION_ROLES[action]]


def can(principal, project: Project, action: str) -> bool:
    return role_allows(role_in(principal, project), action)


def person_for(principal, doing: str):
    """`principal` if it is a person. Service accounts act only inside their
    own project: they may not create projects or tokens of users."""
    if _service_account(principal) is not None:
        raise Forbidden(
            f"a service account may not {doing}; a person with a user account must do it"
        )
    return principal


def project_for(principal, name: str, action: str = "view") -> Project:
    """The project `name` if `principal` may do `action` there (membership)."""
    project = Project.objects.filter(name=name).first()
    role = role_in(principal, project) if project else None
    if project is None or role is None:
        raise NotFound(f'project "{name}" not found', field="project")
    if not role_allows(role, action):
        raise Forbidden(
            f'you may not {_ACTION_WORDS.get(action, action)} in project "{name}" '
            f"(your role there is {role})",
            field="project",
        )
    return project


def shares_for(principal) -> QuerySet[Share]:
    """Every share that reaches `principal`, directly or through its projects."""
    if not getattr(principal, "is_authenticated", False):
        return Share.objects.none()
    account = _service_account(principal)
    if account is not None:
        return Share.objects.filter(target_project_id=account.project_id)
    member_of = Membership.objects.filter(user=principal).values("project_id")
    return Share.objects.filter(Q(target_user=principal) | Q(target_project_id__in=member_of))


def is_shared_with(principal, stream: ImageStream) -> bool:
    return (
        shares_for(principal)
        .filter(Q(stream=stream) | Q(stream__isnull=True), project_id=stream.project_id)
        .exists()
    )


def viewable_sql(principal, stream: str) -> tuple[str, list]:
    """SQL condition (and its parameters) on the image stream table aliased
    `stream`: true where `principal` may view that stream, by its project or a
    share. For hot reads that check access in their one query; what it
    refuses says nothing about why (refusals go through stream_for)."""
    if not getattr(principal, "is_authenticated", False):
        return "1 = 0", []
    if principal.is_superuser:
        return "1 = 1", []
    shares = Share._meta.db_table
    account = _service_account(principal)
    shared = (
        f"EXISTS (SELECT 1 FROM {shares} sh WHERE sh.project_id = {stream}.project_id "
        f"AND (sh.stream_id IS NULL OR sh.stream_id = {stream}.id) AND {{reaches}})"
    )
    if account is not None:
        reaches = "sh.target_project_id = %s"
        return (
            f"({stream}.project_id = %s OR {shared.format(reaches=reaches)})",
            [account.project_id, account.project_id],
        )
    members = Membership._meta.db_table
    member = (
        f"EXISTS (SELECT 1 FROM {members} m WHERE m.project_id = {stream}.project_id "
        "AND m.user_id = %s)"
    )
    reaches = (
        f"(sh.target_user_id = %s OR sh.target_project_id IN "
        f"(SELECT m2.project_id FROM {members} m2 WHERE m2.user_id = %s))"
    )
    return f"({member} OR {shared.format(reaches=reaches)})", [principal.pk] * 3


# (principal, project, stream) -> when this process last found that principal
# may view the stream, and under which access version (freshness). Lets a
# stream's read be answered from the shared cache without a query; a removed
# member, share or service account replaces the access version, so the record
# stops being trusted at once. What the access version does not follow (a
# superuser flag taken away, an account disabled) takes AUTH_CACHE_SECONDS,
# as for API tokens.
_viewed: dict[tuple[str, str, str], tuple[float, str]] = {}
_VIEWED_MAX = 10_000


def _principal_key(principal) -> str:
    account = _service_account(principal)
    return f"account:{account.pk}" if account is not None else f"user:{principal.pk}"


def remember_viewed(principal, project_name: str, stream_name: str, access_version: str) -> None:
    """`principal` was just found (in the database) to be allowed to view the
    stream, after `access_version` was taken (freshness.known)."""
    if settings.AUTH_CACHE_SECONDS <= 0 or not access_version:
        return
    if not getattr(principal, "is_authenticated", False):
        return
    if len(_viewed) >= _VIEWED_MAX:
        _viewed.clear()
    key = (_principal_key(principal), project_name, stream_name)
    _viewed[key] = (time.monotonic(), access_version)


def viewed_recently(principal, project_name: str, stream_name: str, access_version: str) -> bool:
    """Whether this process found `principal` allowed to view the stream under
    `access_version` (the current one) less than AUTH_CACHE_SECONDS ago.
    Without a shared cache (no version) nothing says what changed: False."""
    if not access_version or not getattr(principal, "is_authenticated", False):
        return False
    seen = _viewed.get((_principal_key(principal), project_name, stream_name))
    if seen is None:
        return False
    when, version = seen
    return version == access_version and time.monotonic() - when < settings.AUTH_CACHE_SECONDS


def stream_for(principal, project_name: str, stream_name: str, action: str = "view") -> ImageStream:
    """The stream if `principal` may do `action` on it: by its role in the
    project, or for viewing also through a share."""
    # One query when the stream exists (the common case), two otherwise.
    stream = (
        ImageStream.objects.select_related("project")
        .filter(project__name=project_name, name=stream_name)
        .first()
    )
    project = stream.project if stream else Project.objects.filter(name=project_name).first()
    role = role_in(principal, project) if project else None
    if role_allows(role, action):
        if stream is None:
            raise NotFound(f'image stream "{stream_name}" not found', field="stream")
        return stream
    shared = stream is not None and is_shared_with(principal, stream)
    if stream is not None and shared and action == "view":
        return stream
    if role is None and not shared:
        raise NotFound(f'image stream "{project_name}/{stream_name}" not found', field="stream")
    if role is not None:
        raise Forbidden(
            f'you may not {action} in project "{project_name}" (your role there is {role})',
            field="project",
        )
    raise Forbidden(
        f'you may not {action} image stream "{project_name}/{stream_name}": '
        "it is shared with you read-only",
        field="stream",
    )


def can_view_stream(principal, project: Project, stream_name: str) -> bool:
    try:
        stream_for(principal, project.name, stream_name, "view")
    except (NotFound, Forbidden):
        # The registry may ask about a stream not created yet: members who
        # may view the project may view (pull) any of its streams.
        return can(principal, project, "view")
    return True


def projects_for(principal) -> QuerySet[Project]:
    """Projects `principal` is a member of (shared streams are listed apart)."""
    if not getattr(principal, "is_authenticated", False):
        return Project.objects.none()
    if principal.is_superuser:
        return Project.objects.all()
    account = _service_account(principal)
    if account is not None:
        return Project.objects.filter(pk=account.project_id)
    return Project.objects.filter(memberships__user=principal).distinct()


def streams_shared_with(principal) -> QuerySet[ImageStream]:
    """Streams of other projects that `principal` may view through shares."""
    shares = shares_for(principal)
    whole_projects = shares.filter(stream__isnull=True).values("project_id")
    single = shares.filter(stream__isnull=False).values("stream_id")
    return (
        ImageStream.objects.filter(Q(project_id__in=whole_projects) | Q(pk__in=single))
        .exclude(project__in=projects_for(principal))
        .select_related("project")
    )


def streams_shared_with_project(project: Project) -> QuerySet[ImageStream]:
    """Streams other projects share with `project` (shown read-only there)."""
    shares = Share.objects.filter(target_project=project)
    whole_projects = shares.filter(stream__isnull=True).values("project_id")
    single = shares.filter(stream__isnull=False).values("stream_id")
    return (
        ImageStream.objects.filter(Q(project_id__in=whole_projects) | Q(pk__in=single))
        .exclude(project=project)
        .select_related("project")
    )
