"""Actions on one row of a stream's page: import now, scheduled on/off,
reference policy, delete. htmx gets the re-rendered row (or table) back;
without JavaScript the browser is sent back to the stream page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from imagestreams.selectors.timeline import tag_timeline
from imagestreams.services.errors import ServiceError
from imagestreams.services.import_requests import tags_import_now
from imagestreams.services.tag_spec import tag_spec_update
from imagestreams.services.tagging import tag_delete
from imagestreams.web.forms import ReferencePolicyForm, ScheduledForm
from imagestreams.web.http import WebRequest, page, principal_of, render_page, render_partial
from imagestreams.web.views.common import tag_access
from imagestreams.web.views.streams import STREAM_TEMPLATE, render_row, stream_context, stream_url


def _back_to_row(request: WebRequest, stream, perms, name: str) -> HttpResponse:
    if request.htmx:
        return render_row(request, stream, perms, name)
    return redirect(stream_url(stream, name))


@page
@require_POST
def tag_import_now(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    """Queue a fresh import of the upstream image; the row shows it running and
    refreshes itself until it is done."""
    _, perms, stream, tag = tag_access(request, project_name, stream_name, tag_name, "edit")
    name = f"{stream.name}:{tag.name}"
    if tags_import_now([tag], by=principal_of(request)):
        messages.info(request, f"Import of {name} requested.")
    else:
        messages.error(request, f"{name} does not import from an external image.")
    return _back_to_row(request, stream, perms, tag.name)


@page
@require_POST
def tag_scheduled(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    project, perms, stream, tag = tag_access(request, project_name, stream_name, tag_name, "edit")
    form = ScheduledForm(request.POST)
    form.is_valid()  # a boolean: anything missing means "off"
    _update_spec(request, project, tag, scheduled=form.cleaned_data.get("scheduled", False))
    return _back_to_row(request, stream, perms, tag.name)


@page
@require_POST
def tag_reference_policy(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    project, perms, stream, tag = tag_access(request, project_name, stream_name, tag_name, "edit")
    form = ReferencePolicyForm(request.POST)
    if form.is_valid():
        _update_spec(request, project, tag, reference_policy=form.cleaned_data["reference_policy"])
    else:
        messages.error(request, "Choose the reference policy Source or Local.")
    return _back_to_row(request, stream, perms, tag.name)


def _update_spec(request: WebRequest, project, tag, **changes) -> None:
    try:
        result = tag_spec_update(project=project, tag=tag, by=principal_of(request), **changes)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, result.message)


@page
@require_http_methods(["GET", "POST"])
def tag_delete_view(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    """GET asks for confirmation (without JavaScript); POST deletes the tag
    with its whole history, like `isctl tag -d STREAM:TAG`."""
    project, perms, stream, tag = tag_access(request, project_name, stream_name, tag_name, "edit")
    if request.method == "GET":
        context = {
            "project": project,
            "stream": stream,
            "tag": tag,
            "perms": perms,
            "history_count": tag_timeline(tag=tag, limit=0).total,
        }
        return render_page(request, "web/tag_delete.html", context)
    try:
        [message] = tag_delete(
            project=project,
            destinations=[f"{stream.name}:{tag.name}"],
            by=principal_of(request),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    if not request.htmx:
        return redirect(stream_url(stream))
    context = stream_context(request, stream, perms)
    return render_partial(request, STREAM_TEMPLATE, "tag-table", context)
