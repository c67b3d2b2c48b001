"""Sending one webhook request: signed, with a timeout, never following
redirects, refusing private addresses unless the operator allows them.

The outcome says whether trying again can help: network errors, 5xx and 429
(with its Retry-After) are worth a retry; redirects and other 4xx are not.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from django.utils import timezone

from triggers.models import AttemptOutcome
from triggers.payloads import OutgoingRequest

USER_AGENT = "imagestreams-webhook/1"
MAX_BODY_KEPT = 2000
HEADER_DELIVERY = "X-Imagestreams-Delivery"
HEADER_EVENT = "X-Imagestreams-Event"
HEADER_TIMESTAMP = "X-Imagestreams-Timestamp"
HEADER_SIGNATURE = "X-Imagestreams-Signature"


@dataclass
class SendResult:
    outcome: str  # AttemptOutcome
    duration_ms: int
    status_code: int | None = None
    error: str = ""
    body: str = ""
    retry_after: float | None = None
    # The receiver says the endpoint is gone for good (410).
    permanent: bool = False


class BlockedAddress(Exception):
    pass


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`; receivers
    recompute it and reject old timestamps to stop replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def sign(request: OutgoingRequest, *, secret: str, delivery_id: str, event: str) -> None:
    timestamp = str(int(time.time()))
    request.headers.update(
        {
            "User-Agent": USER_AGENT,
            HEADER_DELIVERY: delivery_id,
            HEADER_EVENT: event,
            HEADER_TIMESTAMP: timestamp,
        }
    )
    if secret:
        request.headers[HEADER_SIGNATURE] = signature(secret, timestamp, request.body)


def send(request: OutgoingRequest, *, timeout: float, allow_private: bool) -> SendResult:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_destination(request.url, allow_private=allow_private)
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            client.stream(
                request.method, request.url, headers=request.headers, content=request.body
            ) as response,
        ):
            body = _read_start(response)
    except BlockedAddress as exc:
        return SendResult(AttemptOutcome.FAILURE, elapsed(), error=str(exc))
    except httpx.TimeoutException:
        return SendResult(AttemptOutcome.RETRY, elapsed(), error=f"timed out after {timeout:g}s")
    except (httpx.RequestError, OSError) as exc:
        return SendResult(AttemptOutcome.RETRY, elapsed(), error=f"cannot connect: {exc}")
    return classify(response, body, elapsed())


def classify(response: httpx.Response, body: str, duration_ms: int) -> SendResult:
    code = response.status_code
    result = SendResult(AttemptOutcome.SUCCESS, duration_ms, status_code=code, body=body)
    if 200 <= code < 300:
        return result
    if code == 429 or code >= 500:
        result.outcome = AttemptOutcome.RETRY
        result.retry_after = parse_retry_after(response.headers.get("retry-after", ""))
        result.error = f"the receiver answered {code}"
        return result
    result.outcome = AttemptOutcome.FAILURE
    if 300 <= code < 400:
        location = response.headers.get("location", "")
        result.error = (
            f"the receiver redirected ({code}) to {location!r}; redirects are not followed"
        )
    else:
        result.error = f"the receiver answered {code}"
        result.permanent = code == 410
    return result


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait, from delta-seconds or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def check_destination(url: str, *, allow_private: bool) -> None:
    """Refuse loopback, private, link-local and other internal addresses, so
    that a trigger cannot be used to reach services behind our firewall.

    The name is resolved here and again by the HTTP client; a DNS answer
    that changes in between (rebinding) is not caught.
    """
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise BlockedAddress(
                f"{host} resolves to the internal address {address}; webhooks to internal "
                "addresses are refused (IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES allows them)"
            )


def _read_start(response: httpx.Response) -> str:
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept.extend(chunk)
        if len(kept) >= MAX_BODY_KEPT:
            break
    return kept[:MAX_BODY_KEPT].decode("utf-8", errors="replace")
