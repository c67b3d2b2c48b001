"""The endpoints operators point their tools at: /healthz for load
balancers, /metrics for Prometheus. Neither needs a login (/metrics may ask
for IMAGESTREAMS_METRICS_TOKEN)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from imagestreams.operations.collector import metrics_text
from imagestreams.operations.health import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, document = health()
    return JsonResponse(document, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _token_allows(request.headers.get("Authorization", "")):
        response = HttpResponse(
            "a bearer token is required\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_text(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


def _token_allows(header: str) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    return hmac.compare_digest(header.encode(), f"Bearer {token}".encode())
