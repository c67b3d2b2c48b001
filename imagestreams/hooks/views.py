"""POST endpoints for inbound registry webhooks. They answer at once (202):
the checks themselves run in workers, within the per-registry limits."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from imagestreams.hooks.payloads import UnknownFormat, parse
from imagestreams.hooks.signatures import generic_signature_error, valid_url_token
from imagestreams.scheduling.services import repositories_changed
from imagestreams.services.errors import InvalidInput


@csrf_exempt
@require_POST
def registry_push(request: HttpRequest, kind: str, token: str = "") -> JsonResponse:
    secret = settings.WEBHOOK_SECRET
    if not secret:
        return _error(404, "inbound webhooks are not enabled (IMAGESTREAMS_WEBHOOK_SECRET)")
    if kind == "generic":
        refused = generic_signature_error(
            secret,
            request.body,
            timestamp=request.headers.get("X-Timestamp", ""),
            signature=request.headers.get("X-Signature", ""),
        )
        if refused:
            return _error(401, refused)
    elif not valid_url_token(secret, kind, token):
        return _error(401, "wrong webhook token in the URL")
    try:
        changes = parse(kind, request.body)
        due = repositories_changed(changes)
    except (UnknownFormat, InvalidInput) as exc:
        return _error(400, f"not a {kind} push event: {exc}")
    return JsonResponse({"tags_to_check": due}, status=202)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)
