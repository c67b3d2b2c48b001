"""Image details (`isimage STREAM@DIGEST`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from imagestreams.selectors.image_details import image_details
from imagestreams.web.http import WebRequest, page, render_page
from imagestreams.web.views.common import stream_access


@page
@require_GET
def image_detail(
    request: WebRequest, project_name: str, stream_name: str, digest: str
) -> HttpResponse:
    _, perms, stream = stream_access(request, project_name, stream_name)
    details = image_details(stream=stream, digest=digest)
    context = {"project": stream.project, "stream": stream, "perms": perms, "details": details}
    return render_page(request, "web/image.html", context)
