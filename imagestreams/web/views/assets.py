"""/favicon.ico: browsers and tools ask for it at the root whatever the page says."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    found = finders.find("favicon.ico")
    if not found:
        raise Http404("no favicon")
    return FileResponse(open(found, "rb"), content_type="image/vnd.microsoft.icon")
