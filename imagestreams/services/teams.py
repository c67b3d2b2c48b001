"""Members, service accounts and their tokens, and sharing streams with other
projects. Interfaces check that the caller is an admin of `project` (or, for
tokens of a service account, of its project) before calling these."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import ApiToken, Membership, Project, Role, ServiceAccount, Share
from imagestreams.models.projects import project_name_validator
from imagestreams.services.errors import Conflict, InvalidInput, NotFound
from imagestreams.services.tokens import MAX_TOKEN_DAYS, forget_recent_tokens


def _role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput(f"role must be one of {', '.join(Role.values)}", field="role")
    return role


def _user(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f'user "{username}" not found', field="username")
    return user


# --- members -----------------------------------------------------------------


@transaction.atomic
def member_set(*, by: Principal, project: Project, username: str, role: str) -> Membership:
    """Add a member or change a member's role."""
    user = _user(username)
    role = _role(role)
    before = Membership.objects.filter(project=project, user=user).first()
    if before and before.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(project, excluding=user)
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    audit.record(
        "member.set",
        by=by,
        project=project,
        target=username,
        before={"role": before.role} if before else None,
        after={"role": role},
    )
    return membership


@transaction.atomic
def member_remove(*, by: Principal, project: Project, username: str) -> None:
    user = _user(username)
    membership = Membership.objects.filter(project=project, user=user).first()
    if membership is None:
        raise NotFound(f'"{username}" is not a member of project "{project.name}"')
    if membership.role == Role.ADMIN:
        _keep_an_admin(project, excluding=user)
    membership.delete()
    audit.record(
        "member.remove", by=by, project=project, target=username, before={"role": membership.role}
    )


def _keep_an_admin(project: Project, *, excluding) -> None:
    others = Membership.objects.filter(project=project, role=Role.ADMIN).exclude(user=excluding)
    if not others.exists():
        raise Conflict(
            f'project "{project.name}" must keep at least one admin; make someone else admin first'
        )


# --- service accounts --------------------------------------------------------


def service_account_create(
    *, by: Principal, project: Project, name: str, role: str = Role.VIEWER, description: str = ""
) -> ServiceAccount:
    try:
        project_name_validator(name)
    except ValidationError:
        raise InvalidInput(
            f'invalid service account name "{name}": lowercase letters, digits and "-"',
            field="name",
        ) from None
    try:
        with transaction.atomic():
            account = ServiceAccount.objects.create(
                project=project, name=name, role=_role(role), description=description
            )
            audit.record(
                "serviceaccount.create", by=by, project=project, target=name, after={"role": role}
            )
    except IntegrityError:
        raise Conflict(f'service account "{name}" already exists', field="name") from None
    return account


def service_account_get(*, project: Project, name: str) -> ServiceAccount:
    account = ServiceAccount.objects.filter(project=project, name=name).first()
    if account is None:
        raise NotFound(f'service account "{name}" not found', field="name")
    return account


@transaction.atomic
def service_account_update(*, by: Principal, account: ServiceAccount, role: str) -> ServiceAccount:
    before = account.role
    account.role = _role(role)
    account.save(update_fields=["role"])
    forget_recent_tokens()  # they carry the account's role
    audit.record(
        "serviceaccount.update",
        by=by,
        project=account.project,
        target=account.name,
        before={"role": before},
        after={"role": account.role},
    )
    return account


@transaction.atomic
def service_account_delete(*, by: Principal, account: ServiceAccount) -> None:
    audit.record("serviceaccount.delete", by=by, project=account.project, target=account.name)
    account.delete()
    forget_recent_tokens()


@transaction.atomic
def service_account_token_create(
    *, by: Principal, account: ServiceAccount, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A named token of a service account: (stored token, secret shown once)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a token needs a name, e.g. the pipeline that uses it", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"expires_in_days must be between 1 and {MAX_TOKEN_DAYS}", field="expires_in_days"
        )
    raw, prefix, key_hash = ApiToken.generate()
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        service_account=account,
        name=name,
        key_prefix=prefix,
        key_hash=key_hash,
        expires_at=expires_at,
    )
    audit.record(
        "token.create",
        by=by,
        project=account.project,
        target=f"{account.name}/{name}",
        after={"prefix": prefix, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, raw


@transaction.atomic
def service_account_token_revoke(*, by: Principal, account: ServiceAccount, token_id: int) -> None:
    token = ApiToken.objects.filter(
        pk=token_id, service_account=account, revoked_at__isnull=True
    ).first()
    if token is None:
        raise NotFound(f"token {token_id} not found", field="id")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    forget_recent_tokens()
    audit.record(
        "token.revoke", by=by, project=account.project, target=f"{account.name}/{token.name}"
    )


# --- sharing -----------------------------------------------------------------


@transaction.atomic
def share_grant(
    *,
    by: Principal,
    project: Project,
    stream_name: str | None = None,
    target_project: str | None = None,
    target_user: str | None = None,
) -> Share:
    """Give pull (view) access to one stream, or to every stream of `project`
    when `stream_name` is empty, to another project or to one user."""
    if bool(target_project) == bool(target_user):
        raise InvalidInput("share with either a project or a user", field="target_project")
    stream = None
    if stream_name:
        stream = project.streams.filter(name=stream_name).first()
        if stream is None:
            raise NotFound(f'image stream "{stream_name}" not found', field="stream")
    receiver_project = receiver_user = None
    if target_project:
        receiver_project = Project.objects.filter(name=target_project).first()
        if receiver_project is None:
            raise NotFound(f'project "{target_project}" not found', field="target_project")
        if receiver_project == project:
            raise InvalidInput("a project already sees its own streams", field="target_project")
    elif target_user:
        receiver_user = _user(target_user)
    existing = Share.objects.filter(
        project=project, stream=stream, target_project=receiver_project, target_user=receiver_user
    ).first()
    if existing:
        return existing
    share = Share.objects.create(
        project=project,
        stream=stream,
        target_project=receiver_project,
        target_user=receiver_user,
        created_by=by.name,
    )
    audit.record(
        "share.grant", by=by, project=project, target=str(share), after=_share_facts(share)
    )
    return share


@transaction.atomic
def share_revoke(*, by: Principal, project: Project, share_id: int) -> None:
    """Revoke a share. Tags other projects already made from these streams
    keep working: access is checked when a tag is written, as in OpenShift."""
    share = Share.objects.filter(pk=share_id, project=project).first()
    if share is None:
        raise NotFound(f"share {share_id} not found", field="id")
    audit.record(
        "share.revoke", by=by, project=project, target=str(share), before=_share_facts(share)
    )
    share.delete()


def _share_facts(share: Share) -> dict:
    return {
        "stream": share.stream.name if share.stream is not None else "*",
        "target_project": (share.target_project.name if share.target_project is not None else None),
        "target_user": (
            share.target_user.get_username() if share.target_user is not None else None
        ),
    }
