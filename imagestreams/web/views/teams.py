"""Team pages of a project, for its admins: members, service accounts and
their tokens, sharing streams with other projects or users, and the audit log."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imagestreams.access import can
from imagestreams.models import Project
from imagestreams.selectors.audit import EXPORT_FORMATS, AuditFilters, audit_events
from imagestreams.selectors.audit import audit_export_lines as export_lines
from imagestreams.selectors.streams import streams_list
from imagestreams.selectors.teams import (
    members_list,
    service_account_tokens,
    service_accounts_list,
    shares_list,
)
from imagestreams.services.errors import ServiceError
from imagestreams.services.teams import (
    member_remove,
    member_set,
    service_account_create,
    service_account_delete,
    service_account_get,
    service_account_token_create,
    service_account_token_revoke,
    service_account_update,
    share_grant,
    share_revoke,
)
from imagestreams.web.http import WebRequest, go_to, page, principal_of, render_page, render_partial
from imagestreams.web.team_forms import (
    AuditFilterForm,
    MemberAddForm,
    RoleForm,
    ServiceAccountForm,
    ShareForm,
    TokenForm,
)
from imagestreams.web.views.common import Perms, project_access

MEMBERS_TEMPLATE = "web/members.html"
ACCOUNTS_TEMPLATE = "web/service_accounts.html"
ACCOUNT_TEMPLATE = "web/service_account.html"
SHARING_TEMPLATE = "web/sharing.html"
AUDIT_TEMPLATE = "web/audit.html"
AUDIT_PER_PAGE = 50
ROLE_ERROR = "Choose the role viewer, editor or admin."


def _back(request: WebRequest, url: str, template: str, partial: str, context) -> HttpResponse:
    """After an action: the re-rendered region for htmx, the page otherwise
    (post/redirect/get, so a reload does not repeat the action)."""
    if not request.htmx:
        return go_to(request, url)
    return render_partial(request, template, partial, context())


def _unless_still_admin(request: WebRequest, project: Project) -> HttpResponse | None:
    """Admins who demoted or removed themselves cannot see the page any more."""
    if can(request.user, project, "admin"):
        return None
    if can(request.user, project, "view"):
        return go_to(request, reverse("web:project", args=[project.name]))
    return go_to(request, reverse("web:projects"))


# --- members -------------------------------------------------------------------


def _back_to_members(request: WebRequest, project: Project, perms: Perms) -> HttpResponse:
    return _back(
        request,
        _members_url(project),
        MEMBERS_TEMPLATE,
        "members",
        lambda: _members_context(project, perms),
    )


def _members_context(project: Project, perms: Perms, form: MemberAddForm | None = None) -> dict:
    return {
        "project": project,
        "perms": perms,
        "members": members_list(project=project),
        "form": form or MemberAddForm(),
        "roles": _role_choices(),
    }


def _role_choices():
    """The roles a member or service account can be given, as the role form offers them."""
    return cast(forms.ChoiceField, RoleForm.base_fields["role"]).choices


def _members_url(project: Project) -> str:
    return reverse("web:members", args=[project.name])


@page
@require_http_methods(["GET", "POST"])
def members_view(request: WebRequest, project_name: str) -> HttpResponse:
    """Who belongs to the project; admins add people by username."""
    project, perms = project_access(request, project_name, "admin")
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_set(
                by=principal_of(request),
                project=project,
                username=data["username"].strip(),
                role=data["role"],
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"{data['username']} is now {data['role']} of {project}.")
            if left := _unless_still_admin(request, project):
                return left
            if not request.htmx:
                return go_to(request, _members_url(project))
            form = MemberAddForm()
    context = _members_context(project, perms, form)
    partial = "members" if request.method == "POST" else None
    return render_page(request, MEMBERS_TEMPLATE, context, partial=partial)


@page
@require_POST
def member_role_view(request: WebRequest, project_name: str, username: str) -> HttpResponse:
    project, perms = project_access(request, project_name, "admin")
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, ROLE_ERROR)
    else:
        role = form.cleaned_data["role"]
        try:
            member_set(by=principal_of(request), project=project, username=username, role=role)
        except ServiceError as exc:
            messages.error(request, exc.message)  # e.g. the last admin's guard
        else:
            messages.success(request, f"{username} is now {role} of {project}.")
            if left := _unless_still_admin(request, project):
                return left
    return _back_to_members(request, project, perms)


@page
@require_POST
def member_remove_view(request: WebRequest, project_name: str, username: str) -> HttpResponse:
    project, perms = project_access(request, project_name, "admin")
    try:
        member_remove(by=principal_of(request), project=project, username=username)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{username} was removed from {project}.")
        if left := _unless_still_admin(request, project):
            return left
    return _back_to_members(request, project, perms)


# --- service accounts ----------------------------------------------------------


def _account_url(account) -> str:
    return reverse("web:service-account", args=[account.project.name, account.name])


@page
@require_http_methods(["GET", "POST"])
def service_accounts_view(request: WebRequest, project_name: str) -> HttpResponse:
    """Non-human members for automation; created here, given tokens on their page."""
    project, perms = project_access(request, project_name, "admin")
    form = ServiceAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = service_account_create(
                by=principal_of(request),
                project=project,
                name=data["name"].strip(),
                role=data["role"],
                description=data["description"].strip(),
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f'Service account "{account.name}" created. Give it a token.')
            return go_to(request, _account_url(account))
    context = {
        "project": project,
        "perms": perms,
        "accounts": service_accounts_list(project=project),
        "form": form,
    }
    partial = "account-form" if request.method == "POST" else None
    return render_page(request, ACCOUNTS_TEMPLATE, context, partial=partial)


def _account_context(account, perms: Perms, **extra) -> dict:
    return {
        "project": account.project,
        "perms": perms,
        "account": account,
        "tokens": service_account_tokens(account=account),
        "token_form": extra.pop("token_form", None) or TokenForm(),
        "roles": _role_choices(),
        **extra,
    }


def _account_access(request: WebRequest, project_name: str, name: str):
    project, perms = project_access(request, project_name, "admin")
    return service_account_get(project=project, name=name), perms


@page
@require_GET
def service_account_view(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    account, perms = _account_access(request, project_name, name)
    return render_page(request, ACCOUNT_TEMPLATE, _account_context(account, perms))


@page
@require_POST
def service_account_role_view(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    account, perms = _account_access(request, project_name, name)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, ROLE_ERROR)
    else:
        account = service_account_update(
            by=principal_of(request), account=account, role=form.cleaned_data["role"]
        )
        messages.success(request, f'Service account "{account.name}" is now {account.role}.')
    return _back(
        request,
        _account_url(account),
        ACCOUNT_TEMPLATE,
        "account-main",
        lambda: _account_context(account, perms),
    )


@page
@require_POST
def service_account_delete_view(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    account, _ = _account_access(request, project_name, name)
    service_account_delete(by=principal_of(request), account=account)
    messages.success(request, f'Service account "{name}" deleted; its tokens no longer work.')
    return go_to(request, reverse("web:service-accounts", args=[account.project.name]))


@never_cache  # the response shows a secret
@page
@require_POST
def service_account_token_create_view(
    request: WebRequest, project_name: str, name: str
) -> HttpResponse:
    """A new token, shown in this response only: not stored, not redirected to."""
    account, perms = _account_access(request, project_name, name)
    form = TokenForm(request.POST)
    extra: dict = {"token_form": form}
    if form.is_valid():
        try:
            token, secret = service_account_token_create(
                by=principal_of(request), account=account, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            extra = {"new_token": token, "secret": secret}
    context = _account_context(account, perms, **extra)
    return render_page(request, ACCOUNT_TEMPLATE, context, partial="account-main")


@page
@require_POST
def service_account_token_revoke_view(
    request: WebRequest, project_name: str, name: str, token_id: int
) -> HttpResponse:
    account, perms = _account_access(request, project_name, name)
    try:
        service_account_token_revoke(by=principal_of(request), account=account, token_id=token_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Token revoked: it no longer works anywhere.")
    return _back(
        request,
        _account_url(account),
        ACCOUNT_TEMPLATE,
        "account-main",
        lambda: _account_context(account, perms),
    )


# --- sharing -------------------------------------------------------------------


def _share_form(project: Project, data=None) -> ShareForm:
    names = list(streams_list(project=project).values_list("name", flat=True))
    return ShareForm(data, stream_names=names)


def _sharing_context(project: Project, perms: Perms, form: ShareForm | None = None) -> dict:
    return {
        "project": project,
        "perms": perms,
        "shares": shares_list(project=project),
        "form": form or _share_form(project),
    }


@page
@require_http_methods(["GET", "POST"])
def sharing_view(request: WebRequest, project_name: str) -> HttpResponse:
    """Pull access to one stream or all of them, for another project or a user."""
    project, perms = project_access(request, project_name, "admin")
    form = _share_form(project, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = data["target"].strip()
        try:
            share_grant(
                project=project,
                stream_name=data["stream"] or None,
                target_project=target if data["target_kind"] == "project" else None,
                target_user=target if data["target_kind"] == "user" else None,
                by=principal_of(request),
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            what = f'"{data["stream"]}"' if data["stream"] else "every stream"
            messages.success(request, f"{target} may now see and pull {what} of {project}.")
            if not request.htmx:
                return go_to(request, reverse("web:sharing", args=[project.name]))
            form = _share_form(project)
    context = _sharing_context(project, perms, form)
    partial = "sharing" if request.method == "POST" else None
    return render_page(request, SHARING_TEMPLATE, context, partial=partial)


@page
@require_POST
def share_revoke_view(request: WebRequest, project_name: str, share_id: int) -> HttpResponse:
    project, perms = project_access(request, project_name, "admin")
    try:
        share_revoke(by=principal_of(request), project=project, share_id=share_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Share revoked. Tags already made from these streams keep their images."
        )
    return _back(
        request,
        reverse("web:sharing", args=[project.name]),
        SHARING_TEMPLATE,
        "sharing",
        lambda: _sharing_context(project, perms),
    )


# --- audit log -----------------------------------------------------------------


def _audit_filters(request: WebRequest) -> tuple[AuditFilterForm, AuditFilters]:
    form = AuditFilterForm(request.GET)
    return form, form.filters() if form.is_valid() else AuditFilters()


@page
@require_GET
def audit_view(request: WebRequest, project_name: str) -> HttpResponse:
    """Every change in the project, newest first, filtered and paginated."""
    project, perms = project_access(request, project_name, "admin")
    form, filters = _audit_filters(request)
    events = audit_events(project=project, filters=filters)
    page_obj = Paginator(events, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "project": project,
        "perms": perms,
        "form": form,
        "filtered": filters.active,
        "page_obj": page_obj,
        "query": query.urlencode(),
    }
    return render_page(request, AUDIT_TEMPLATE, context, partial="audit-table")


@page
@require_GET
def audit_export_view(request: WebRequest, project_name: str) -> StreamingHttpResponse:
    """The filtered log as a CSV download (`?format=jsonl`: JSON lines)."""
    project, _ = project_access(request, project_name, "admin")
    _, filters = _audit_filters(request)
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    events = audit_events(project=project, filters=filters)
    response = StreamingHttpResponse(export_lines(events, fmt), content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{project.name}-audit.{fmt}"'
    return response
