"""Reads of projects as their members see them."""

from __future__ import annotations

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value

from imagestreams.access import projects_for
from imagestreams.models import Membership, Project, Role


def _role_of(user):
    if user.is_superuser:
        # Operators may do anything anywhere, member or not (access.role_in).
        return Value(Role.ADMIN, output_field=CharField())
    account = getattr(user, "service_account", None)
    if account is not None:
        # A service account sees only its own project, with its own role.
        return Value(account.role, output_field=CharField())
    return Subquery(Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1])


def projects_list(*, user, search: str = "") -> QuerySet[Project]:
    """Projects `user` may see, each annotated with the user's `role`."""
    projects = projects_for(user).annotate(role=_role_of(user))
    if search:
        projects = projects.filter(name__icontains=search)
    return projects.order_by("name")


def project_detail(*, user, project: Project) -> Project:
    """`project` annotated with the `role` of `user` there."""
    return projects_list(user=user).get(pk=project.pk)
