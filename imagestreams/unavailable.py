"""When the database cannot answer: PostgreSQL down or unreachable, or SQLite
still locked after its busy timeout. Requests then get HTTP 503 with
Retry-After (JSON under /api/, a page elsewhere) instead of a 500 and a
traceback: the request was fine, it should simply be sent again.

API views answer through the API's exception handler; this middleware covers
the other views, and `server_error` (handler500) what fails in a middleware
(loading the session, saving it)."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

# InterfaceError: a connection that went away between two queries.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10
DETAIL = "the database is unavailable or too busy right now; try again in a few seconds"
CODE = "database_unavailable"


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def log_unavailable(request: HttpRequest, exc: BaseException) -> None:
    # A warning without traceback: the cause is outside the code, and one line
    # per refused request is what an operator needs to see it.
    logger.warning(
        "database unavailable, answered 503 to %s %s: %s", request.method, request.path, exc
    )


def json_body() -> dict[str, str | None]:
    return {"detail": DETAIL, "code": CODE, "field": None}


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 for `request`: JSON for the API and clients that do not want HTML."""
    if request.path.startswith("/api/") or not request.accepts("text/html"):
        response: HttpResponse = JsonResponse(json_body(), status=503)
    else:
        # Rendered without the request: base.html would read the user and the
        # messages, both stored in the database that is not answering.
        html = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exc):
            return None
        log_unavailable(request, exc)
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
