"""One error format for the whole API: `{"detail", "code", "field"}`.

Services raise imagestreams.services.errors; DRF raises its own exceptions for
parsing, authentication and validation. Both end up here, and so does a
database that does not answer (503, imagestreams.unavailable).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from imagestreams import unavailable
from imagestreams.services import errors

SERVICE_STATUS = {
    errors.InvalidInput: status.HTTP_400_BAD_REQUEST,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Forbidden: status.HTTP_403_FORBIDDEN,
    errors.Conflict: status.HTTP_409_CONFLICT,
}
# DRF's codes, renamed where the API has its own word for the same thing.
RENAMED_CODES = {"permission_denied": "forbidden", "parse_error": "invalid"}


def error_body(detail: str, code: str, field: str | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "field": field}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.ServiceError):
        set_rollback()
        code = SERVICE_STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST)
        return Response(error_body(exc.message, exc.code, exc.field), status=code)
    if unavailable.is_database_unavailable(exc):
        set_rollback()
        unavailable.log_unavailable(context["request"], exc)
        headers = {"Retry-After": str(unavailable.RETRY_AFTER_SECONDS)}
        return Response(
            unavailable.json_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers
        )
    # DRF's handler turns Http404/PermissionDenied into its own exceptions and
    # adds the WWW-Authenticate and Retry-After headers.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling and logging apply
    if isinstance(exc, exceptions.ValidationError):
        detail, field = flatten_validation(exc.detail)
        response.data = error_body(detail, "invalid", field)
        return response
    api_exc = exc if isinstance(exc, exceptions.APIException) else None
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    error_code = getattr(detail, "code", None) or (api_exc.default_code if api_exc else "error")
    response.data = error_body(str(detail), RENAMED_CODES.get(error_code, error_code))
    return response


def flatten_validation(detail: Any) -> tuple[str, str | None]:
    """('name: This field is required.; …', 'name'): every message, led by the
    dotted path of its field; the first field with an error is `field`."""
    found = list(_leaves(detail, ()))
    if not found:
        return "invalid input", None
    messages = [f"{'.'.join(path)}: {text}" if path else text for path, text in found]
    first_path = found[0][0]
    return "; ".join(messages), ".".join(first_path) or None


def _leaves(detail: Any, path: tuple[str, ...]):
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = path if key == "non_field_errors" else (*path, str(key))
            yield from _leaves(value, inner)
    elif isinstance(detail, list):
        for item in detail:
            yield from _leaves(item, path)
    else:
        yield path, str(detail)
