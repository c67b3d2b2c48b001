"""The two personas the teams issue adds to tests.personas' project "team":
a service account of the project and a member of another project that
"team" shares a stream with. Plain functions, so that any test module can
build them on top of the `personas` and `team` fixtures."""

from __future__ import annotations

import html

from django.contrib.auth import get_user_model

from imagestreams.access import acting, acting_system
from imagestreams.models import Project, Role
from imagestreams.services.projects import membership_set, project_create
from imagestreams.services.teams import (
    service_account_create,
    service_account_token_create,
    share_grant,
)
from tests.personas import PASSWORD

SERVICE_ACCOUNT = "ci"
HTMX = {"HX-Request": "true"}
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


def page_text(response) -> str:
    """The response's HTML with entities decoded, as users read it."""
    return html.unescape(response.content.decode())


def add_service_account(team: Project, *, role: str = Role.EDITOR, name: str = SERVICE_ACCOUNT):
    """A service account of `team` and the secret of one of its tokens."""
    account = service_account_create(project=team, name=name, role=role, by=acting_system())
    _, secret = service_account_token_create(account=account, name="pipeline", by=acting_system())
    return account, secret


def add_partner(team: Project, *, stream: str | None = "python", username: str = "shared"):
    """User `username`, a viewer of project "partner", which `team` shares
    `stream` with (every stream of team when None). The stream must exist."""
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    owner = get_user_model().objects.create_user(f"{username}-owner", password=PASSWORD)
    partner = project_create(name="partner", by=acting(owner, "task"))
    membership_set(project=partner, user=user, role=Role.VIEWER)
    share = share_grant(
        project=team, stream_name=stream, target_project="partner", by=acting_system()
    )
    return user, partner, share
