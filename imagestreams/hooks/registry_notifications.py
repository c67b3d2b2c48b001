"""The integrated registry's notification endpoint.

The registry (Distribution `notifications.endpoints[]`) POSTs
`application/vnd.docker.distribution.events.v1+json` with the header
`Authorization: Bearer <IMAGESTREAMS_REGISTRY_NOTIFICATION_SECRET>`. It
re-sends anything but a 2xx/3xx for ever and blocks later events meanwhile,
so this view only checks, stores and answers; tasks do the work.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from imagestreams.services.errors import InvalidInput
from imagestreams.services.registry_events import registry_events_receive

logger = logging.getLogger(__name__)

EVENTS_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
ACCEPTED_MEDIA_TYPES = {EVENTS_MEDIA_TYPE, "application/json"}


@csrf_exempt  # called by the registry with a shared secret, never by a browser
@require_POST
def registry_notifications(request: HttpRequest) -> JsonResponse:
    secret = settings.REGISTRY_NOTIFICATION_SECRET
    if not secret:
        return _error("no integrated registry is configured here", 404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {secret}".encode()):
        logger.warning("registry notification refused: wrong or missing Authorization")
        return _error("wrong or missing Authorization header", 401)
    if request.content_type not in ACCEPTED_MEDIA_TYPES:
        return _error(f"expected Content-Type {EVENTS_MEDIA_TYPE}", 415)
    try:
        envelope = json.loads(request.body)
        result = registry_events_receive(envelope)
    except (ValueError, UnicodeDecodeError):
        return _error("the body is not valid JSON", 400)
    except InvalidInput as exc:
        return _error(exc.message, 400)
    return JsonResponse(
        {"accepted": result.accepted, "duplicates": result.duplicates, "ignored": result.ignored}
    )


def _error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)
