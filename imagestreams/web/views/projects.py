"""The projects a user sees, and one project's streams."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imagestreams.selectors.overview import HEALTH_FILTERS, projects_overview, streams_overview
from imagestreams.selectors.teams import shared_streams_overview, shared_with_user_overview
from imagestreams.services.errors import ServiceError
from imagestreams.services.import_image import ImportImageRequest, import_image
from imagestreams.services.projects import project_create
from imagestreams.services.streams import stream_create
from imagestreams.web.forms import ImportImageForm, ProjectCreateForm, StreamCreateForm
from imagestreams.web.http import WebRequest, go_to, page, principal_of, render_page, render_partial
from imagestreams.web.views.common import Perms, project_access, stream_url

STREAMS_PER_PAGE = 50
PROJECT_TEMPLATE = "web/project.html"


@page
@require_http_methods(["GET", "POST"])
def project_list(request: WebRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_create(by=principal_of(request), **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f'Project "{project.name}" created; you are its admin.')
            return go_to(request, reverse("web:project", args=[project.name]))
    if request.htmx and request.method == "POST":
        return render_partial(request, "web/projects.html", "project-form", {"form": form})
    context = {
        "projects": projects_overview(request.user),
        "shared_streams": shared_with_user_overview(request.user),
        "form": form,
    }
    return render_page(request, "web/projects.html", context)


def _project_context(request: WebRequest, project, perms: Perms, **forms) -> dict:
    search = request.GET.get("q", "").strip()
    health = request.GET.get("health", "")
    health = health if health in HEALTH_FILTERS else ""
    streams = streams_overview(project=project, search=search, health=health)
    page_obj = Paginator(streams, STREAMS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "project": project,
        "perms": perms,
        "page_obj": page_obj,
        "search": search,
        "health": health,
        "health_filters": HEALTH_FILTERS,
        "filtered": bool(search or health),
        "shared_streams": shared_streams_overview(project=project),
        "stream_form": forms.get("stream_form") or StreamCreateForm(),
        "import_form": forms.get("import_form") or ImportImageForm(),
    }


@page
@require_GET
def project_detail(request: WebRequest, project_name: str) -> HttpResponse:
    project, perms = project_access(request, project_name)
    context = _project_context(request, project, perms)
    return render_page(request, PROJECT_TEMPLATE, context, partial="stream-table")


@page
@require_POST
def stream_create_view(request: WebRequest, project_name: str) -> HttpResponse:
    project, perms = project_access(request, project_name, "edit")
    form = StreamCreateForm(request.POST)
    if form.is_valid():
        try:
            stream = stream_create(
                by=principal_of(request), project=project, name=form.cleaned_data["name"]
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f'Image stream "{stream.name}" created. Add its first tag.')
            return go_to(request, stream_url(stream))
    if request.htmx:
        return render_partial(
            request, PROJECT_TEMPLATE, "stream-form", {"stream_form": form, "project": project}
        )
    return render_page(
        request, PROJECT_TEMPLATE, _project_context(request, project, perms, stream_form=form)
    )


@page
@require_POST
def import_image_view(request: WebRequest, project_name: str) -> HttpResponse:
    """`isctl import-image NAME:TAG --from=IMAGE --confirm`: runs now, so the
    user sees the result (or the registry's error) at once."""
    project, perms = project_access(request, project_name, "edit")
    form = ImportImageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = import_image(
                project=project,
                request=ImportImageRequest(
                    target=data["target"],
                    from_image=data["from_image"] or None,
                    confirm=True,
                    scheduled=data["scheduled"],
                    insecure=data["insecure"],
                    reference_policy=data["reference_policy"],
                    import_mode=data["import_mode"],
                ),
                by=principal_of(request),
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            _report_import(request, result)
            assert result.stream is not None  # not a dry run: the stream exists now
            return go_to(request, stream_url(result.stream))
    if request.htmx:
        return render_partial(
            request, PROJECT_TEMPLATE, "import-form", {"import_form": form, "project": project}
        )
    return render_page(
        request, PROJECT_TEMPLATE, _project_context(request, project, perms, import_form=form)
    )


def _report_import(request: WebRequest, result) -> None:
    for status in result.statuses:
        if status.failed:
            messages.error(
                request, f"Import of {status.tag} failed ({status.reason}): {status.message}"
            )
    if not result.failed:
        messages.success(request, f"{result.message}.")
