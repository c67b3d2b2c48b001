"""A stream's page: its summary, every tag with its current image, adding
tags, and the actions on the whole stream."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from imagestreams.models import ImageStream
from imagestreams.selectors.tag_rows import stream_tag_rows, stream_tags
from imagestreams.selectors.teams import stream_shares
from imagestreams.services.errors import ServiceError
from imagestreams.services.tagging import TagOptions, tag_set
from imagestreams.web.forms import TagAddForm
from imagestreams.web.http import WebRequest, page, principal_of, render_page, render_partial
from imagestreams.web.panels import stream_panels
from imagestreams.web.tag_table import table_rows
from imagestreams.web.views.common import Perms, stream_access, stream_url

STREAM_TEMPLATE = "web/stream.html"


def stream_context(
    request: WebRequest, stream: ImageStream, perms: Perms, *, add_form: TagAddForm | None = None
) -> dict:
    search = request.GET.get("q", "").strip()
    listing = stream_tags(stream=stream, search=search)
    base = stream_url(stream)
    return {
        "project": stream.project,
        "stream": stream,
        "perms": perms,
        "listing": listing,
        "rows": table_rows(listing.rows, base),
        "search": search,
        "add_form": add_form or TagAddForm(),
        "stream_url": base,
    }


def summary_context(stream: ImageStream, perms: Perms) -> dict:
    """The facts above the tags (full pages only)."""
    return {
        "shares": [] if perms.shared else list(stream_shares(stream=stream)),
        "panels": stream_panels(stream, perms),
    }


@page
@require_GET
def stream_detail(request: WebRequest, project_name: str, stream_name: str) -> HttpResponse:
    _, perms, stream = stream_access(request, project_name, stream_name)
    context = stream_context(request, stream, perms)
    if not request.htmx:
        context.update(summary_context(stream, perms))
    return render_page(request, STREAM_TEMPLATE, context, partial="tag-table")


@page
@require_GET
def tag_row(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    """One row, re-rendered while an import runs; polling stops by itself
    because a finished row has no hx-trigger any more."""
    _, perms, stream = stream_access(request, project_name, stream_name)
    if not request.htmx:
        return redirect(stream_url(stream, tag_name))
    return render_row(request, stream, perms, tag_name)


def render_row(request: WebRequest, stream: ImageStream, perms: Perms, name: str) -> HttpResponse:
    rows = stream_tag_rows(stream=stream, only={name})
    if not rows:
        # The tag is gone or became an alias of another row: refresh the table.
        context = stream_context(request, stream, perms)
        response = render_partial(request, STREAM_TEMPLATE, "tag-table", context)
        response["HX-Retarget"] = "#tag-table"
        response["HX-Reswap"] = "outerHTML"
        return response
    base = stream_url(stream)
    context = {
        "stream": stream,
        "project": stream.project,
        "perms": perms,
        "row": table_rows(rows, base)[0],
        "stream_url": base,
    }
    return render_partial(request, STREAM_TEMPLATE, "tag-row", context)


@page
@require_http_methods(["GET", "POST"])
def tag_add(request: WebRequest, project_name: str, stream_name: str) -> HttpResponse:
    """`isctl tag SOURCE STREAM:TAG` (or `--alias`) from the stream page."""
    project, perms, stream = stream_access(request, project_name, stream_name, "edit")
    form = TagAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = _tag_from_form(request, project, stream, form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, message)
            if not request.htmx:
                return redirect(stream_url(stream))
            context = stream_context(request, stream, perms)
            return render_partial(request, STREAM_TEMPLATE, "tag-added", context)
    context = stream_context(request, stream, perms, add_form=form)
    if request.htmx:
        return render_partial(request, STREAM_TEMPLATE, "add-tag-form", context)
    return render_page(request, "web/tag_add.html", context)


def _tag_from_form(request: WebRequest, project, stream: ImageStream, data: dict) -> str:
    kind = data["kind"]
    external = kind == "docker"
    options = TagOptions(
        alias=kind == "alias",
        scheduled=external and data["scheduled"],
        insecure=external and data["insecure"],
        reference_policy=data["reference_policy"],
        import_mode=data["import_mode"],
    )
    source = data["source"].strip()
    if kind == "alias" and ":" not in source:
        source = f"{stream.name}:{source}"  # an alias names a tag of this stream
    [result] = tag_set(
        project=project,
        source=source,
        source_kind="istag" if kind == "alias" else kind,
        destinations=[f"{stream.name}:{data['name'].strip()}"],
        options=options,
        by=principal_of(request),
    )
    return result.message
