"""Turning registry HTTP answers into RegistryError subclasses.

Reference: https://distribution.github.io/distribution/spec/api/#errors
"""

from __future__ import annotations

import json
import math
import time
from email.utils import parsedate_to_datetime

import httpx

from .errors import (
    Forbidden,
    InvalidReference,
    NotFound,
    RateLimited,
    RegistryError,
    RegistryUnavailable,
    Unauthorized,
)

# Registry error bodies are small; never buffer more than this of one.
MAX_ERROR_BODY = 64 * 1024
_MAX_DETAIL_LENGTH = 200
# Header values above this are Unix timestamps, below it delays in seconds.
_EPOCH_THRESHOLD = 1_000_000_000

_CODE_TO_ERROR: dict[str, type[RegistryError]] = {
    "MANIFEST_UNKNOWN": NotFound,
    "NAME_UNKNOWN": NotFound,
    "BLOB_UNKNOWN": NotFound,
    "UNAUTHORIZED": Unauthorized,
    "DENIED": Forbidden,
    "NAME_INVALID": InvalidReference,
    "TAG_INVALID": InvalidReference,
}


def error_for_status(
    response: httpx.Response, body: bytes, *, subject: str, missing: str
) -> RegistryError:
    """Map a non-success answer. ``subject`` names what was asked for, e.g.
    ``image "quay.io/x:1"``; ``missing`` is the 404 explanation to use when
    the registry gives none (HEAD answers have no body)."""
    status = response.status_code
    code, detail = _first_registry_error(body)
    if status == 404 or (status < 500 and _CODE_TO_ERROR.get(code) is NotFound):
        return NotFound(f"{subject} not found: {detail or missing}")
    if status == 401:
        return Unauthorized(f"you may not have access to {subject}")
    if status == 403 or code == "DENIED":
        return Forbidden(f"access to {subject} is denied: {detail or 'forbidden'}")
    if status == 429 or code == "TOOMANYREQUESTS":
        return rate_limited(response.headers, subject)
    if status >= 500:
        return RegistryUnavailable(
            f"the registry answered HTTP {status} for {subject}{_suffix(detail)}",
            reason="InternalError" if status == 500 else "ServiceUnavailable",
        )
    error_class = _CODE_TO_ERROR.get(code, RegistryError)
    return error_class(f"the registry answered HTTP {status} for {subject}{_suffix(detail)}")


def rate_limited(headers: httpx.Headers, subject: str) -> RateLimited:
    delay = retry_after_seconds(headers)
    when = f"retry after {delay:.0f} seconds" if delay is not None else "retry later"
    return RateLimited(
        f"the registry is rate limiting requests for {subject}; {when}", retry_after=delay
    )


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds to wait, from ``Retry-After`` (delay or HTTP date) or Docker
    Hub's ``RateLimit-Reset``; None when neither header is usable."""
    now = time.time() if now is None else now
    seconds = parse_retry_after(headers.get("retry-after", ""), now)
    if seconds is not None:
        return seconds
    # Seen both as a delay and as an epoch timestamp (``42;w=21600`` style
    # suffixes included), so accept either.
    reset = _number(headers.get("ratelimit-reset", "").split(";", 1)[0])
    if reset is None:
        return None
    return max(reset - now, 0.0) if reset > _EPOCH_THRESHOLD else max(reset, 0.0)


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (a delay or an HTTP date),
    never negative; None when it is neither. Registries and webhook receivers
    both send it."""
    value = value.strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is None:
        seconds = _http_date(value, time.time() if now is None else now)
    return None if seconds is None else max(seconds, 0.0)


def _number(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _http_date(text: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": no usable time zone
        return None
    return when.timestamp() - now


def _first_registry_error(body: bytes) -> tuple[str, str]:
    """(code, message) of the first entry of ``{"errors": [...]}``, if any."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return "", ""
    code, message = errors[0].get("code"), errors[0].get("message")
    code = code.upper() if isinstance(code, str) else ""
    message = message.strip() if isinstance(message, str) else ""
    return code, (message or code.lower().replace("_", " "))[:_MAX_DETAIL_LENGTH]


def _suffix(detail: str) -> str:
    return f": {detail}" if detail else ""
