"""Actions on a whole stream: import all its external tags now, delete it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from imagestreams.models import Tag
from imagestreams.services.import_requests import tags_import_now
from imagestreams.services.streams import stream_delete
from imagestreams.web.http import (
    WebRequest,
    go_to,
    page,
    principal_of,
    render_page,
    render_partial,
)
from imagestreams.web.views.common import stream_access, stream_url
from imagestreams.web.views.streams import STREAM_TEMPLATE, stream_context


@page
@require_POST
def stream_import_all(request: WebRequest, project_name: str, stream_name: str) -> HttpResponse:
    """ "Import now" for every tag with an external source (`isctl import-image
    STREAM --all` re-imports the same tags); the rows then poll until done."""
    _, perms, stream = stream_access(request, project_name, stream_name, "edit")
    tags = Tag.objects.filter(stream=stream).order_by("name")
    requested = tags_import_now(tags, by=principal_of(request))
    if requested:
        count = len(requested)
        messages.info(request, f"Import of {count} tag{'s' if count != 1 else ''} requested.")
    else:
        messages.error(request, f"No tag of {stream.name} imports from an external image.")
    if not request.htmx:
        return redirect(stream_url(stream))
    context = stream_context(request, stream, perms)
    return render_partial(request, STREAM_TEMPLATE, "tag-table", context)


@page
@require_http_methods(["GET", "POST"])
def stream_delete_view(request: WebRequest, project_name: str, stream_name: str) -> HttpResponse:
    """GET asks for confirmation (without JavaScript); POST deletes the stream
    with all its tags and their history, like `isctl delete is/STREAM`."""
    project, perms, stream = stream_access(request, project_name, stream_name, "edit")
    if request.method == "GET":
        context = {
            "project": project,
            "stream": stream,
            "perms": perms,
            "tag_count": Tag.objects.filter(stream=stream).count(),
        }
        return render_page(request, "web/stream_delete.html", context)
    stream_delete(stream=stream, by=principal_of(request))
    messages.success(request, f"Deleted image stream {project.name}/{stream.name}.")
    return go_to(request, reverse("web:project", args=[project.name]))
