"""A tag's page: its history as a timeline, one-click rollback to any earlier
image, and a side-by-side comparison of two history entries."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from imagestreams.models import ImageStream, Tag
from imagestreams.selectors.comparison import history_compare
from imagestreams.selectors.tag_rows import describe_source
from imagestreams.selectors.timeline import tag_timeline
from imagestreams.services.errors import ServiceError
from imagestreams.services.rollback import tag_rollback
from imagestreams.web.forms import CompareForm, RollbackForm
from imagestreams.web.http import WebRequest, page, principal_of, render_page, render_partial
from imagestreams.web.views.common import Perms, tag_access, tag_url

TAG_TEMPLATE = "web/tag.html"


def _tag_context(request: WebRequest, stream: ImageStream, tag: Tag, perms: Perms) -> dict:
    show_all = request.GET.get("all") == "1"
    timeline = tag_timeline(tag=tag, limit=None if show_all else 50)
    head = timeline.current
    return {
        "project": stream.project,
        "stream": stream,
        "tag": tag,
        "perms": perms,
        "timeline": timeline,
        "source": describe_source(stream, tag),
        "importing": tag.import_pending(head),
        "show_all": show_all,
    }


def _comparison(tag: Tag, form: CompareForm) -> dict:
    """The comparison asked for by ?a=&b=, or the form with its error."""
    if not form.is_bound:
        return {"compare_form": form, "comparison": None}
    comparison = None
    if form.is_valid():
        try:
            comparison = history_compare(
                tag=tag, first=form.cleaned_data["a"], second=form.cleaned_data["b"]
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
    return {"compare_form": form, "comparison": comparison}


@page
@require_GET
def tag_detail(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    _, perms, stream, tag = tag_access(request, project_name, stream_name, tag_name)
    wants_comparison = "a" in request.GET or "b" in request.GET
    form = CompareForm(request.GET if wants_comparison else None)
    if request.htmx and wants_comparison:
        context = {"project": stream.project, "stream": stream, "tag": tag, "perms": perms}
        context.update(_comparison(tag, form))
        return render_partial(request, TAG_TEMPLATE, "comparison", context)
    context = _tag_context(request, stream, tag, perms)
    context.update(_comparison(tag, form))
    return render_page(request, TAG_TEMPLATE, context, partial="tag-main")


@page
@require_POST
def tag_rollback_view(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str
) -> HttpResponse:
    """`isctl rollback STREAM:TAG --to DIGEST`."""
    _, perms, stream, tag = tag_access(request, project_name, stream_name, tag_name, "edit")
    form = RollbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the history entry to roll back to.")
    else:
        try:
            result = tag_rollback(tag=tag, to=form.cleaned_data["to"], by=principal_of(request))
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, result.message)
            tag.refresh_from_db()  # the rollback pinned the spec with an update
            tag.stream = stream
    if not request.htmx:
        return redirect(tag_url(tag))
    context = _tag_context(request, stream, tag, perms)
    return render_partial(request, TAG_TEMPLATE, "tag-main", context)
