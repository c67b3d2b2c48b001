"""The one permission check, used by every interface (web pages, API, admin,
tasks acting for a user, the registry token endpoint).

Outsiders get NotFound (a project's existence is not revealed); members whose
role is too low get Forbidden. Superusers are operators and may do anything.
"""

from __future__ import annotations

from django.db.models import QuerySet

from imagestreams.models import Membership, Project, Role
from imagestreams.models.access import ROLE_RANK
from imagestreams.services.errors import Forbidden, NotFound

# What each action needs; interfaces name actions, never roles.
ACTION_ROLES = {
    "view": Role.VIEWER,  # see, describe, resolve, pull
    "edit": Role.EDITOR,  # import, tag, untag, roll back, push, triggers
    "admin": Role.ADMIN,  # members, sharing, credentials, settings
}


def role_in(user, project: Project) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    membership = Membership.objects.filter(project=project, user=user).only("role").first()
    return membership.role if membership else None


def can(user, project: Project, action: str) -> bool:
    role = role_in(user, project)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[ACTION_ROLES[action]]


def project_for(user, name: str, action: str = "view") -> Project:
    """The project `name` if `user` may do `action` there."""
    project = Project.objects.filter(name=name).first()
    role = role_in(user, project) if project else None
    if project is None or role is None:
        raise NotFound(f'project "{name}" not found', field="project")
    if ROLE_RANK[Role(role)] < ROLE_RANK[ACTION_ROLES[action]]:
        raise Forbidden(
            f'you may not {action} in project "{name}" (your role there is {role})',
            field="project",
        )
    return project


def projects_for(user) -> QuerySet[Project]:
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user).distinct()
