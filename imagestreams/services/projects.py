"""Creating projects and managing who belongs to them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import Membership, Project, Role
from imagestreams.models.projects import project_name_validator
from imagestreams.services.errors import Conflict, InvalidInput


def project_create(
    *, by: Principal, name: str, display_name: str = "", description: str = ""
) -> Project:
    """Create a project; its creator (`by`) becomes its admin."""
    try:
        project_name_validator(name)
    except ValidationError as exc:
        raise InvalidInput(
            f'invalid project name "{name}": {exc.messages[0]}', field="name"
        ) from None
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=name, display_name=display_name, description=description
            )
            Membership.objects.create(project=project, user=by.subject, role=Role.ADMIN)
            audit.record("project.create", by=by, project=project, target=name)
    except IntegrityError:
        raise Conflict(f'project "{name}" already exists', field="name") from None
    return project


def membership_set(*, project: Project, user, role: str) -> Membership:
    if role not in Role.values:
        raise InvalidInput(f"role must be one of {', '.join(Role.values)}", field="role")
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership
