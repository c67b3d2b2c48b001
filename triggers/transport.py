"""Sending one webhook request: signed, with a timeout, never following
redirects, refusing internal addresses unless the operator allows them.

The address check is imagestreams.registry.netguard's: the receiver's name is
resolved once, checked, and the connection goes to that very address, so a
DNS answer that changes in between (rebinding) cannot reach inside.

The outcome says whether trying again can help: network errors, 5xx and 429
(with its Retry-After) are worth a retry; redirects and other 4xx are not.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass

import httpx

from imagestreams.registry.netguard import BlockedAddress, Guard, blocked_address_in
from imagestreams.registry.status import parse_retry_after
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
    # Git write-back: the commit pushed and its diff (or the dry run's diff).
    commit: str = ""
    diff: str = ""


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


_clients: dict[tuple[int, bool, float], httpx.Client] = {}
_clients_lock = threading.Lock()


def _client(allow_private: bool, timeout: float) -> httpx.Client:
    """This process's client for these settings, kept across deliveries: a
    receiver's connection is reused (no new connect, address check or TLS
    handshake per webhook). The guard checked the address when it opened it."""
    key = (os.getpid(), allow_private, timeout)  # a forked worker builds its own
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _new_client(Guard(allow_private=allow_private), timeout)
        return client


def _new_client(guard: Guard, timeout: float) -> httpx.Client:
    return httpx.Client(transport=guard.transport(), timeout=timeout, follow_redirects=False)


def send(
    request: OutgoingRequest, *, timeout: float, allow_private: bool, guard: Guard | None = None
) -> SendResult:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        url = httpx.URL(request.url)
        url.host  # noqa: B018 (decoding a punycode host may fail too)
    except (httpx.InvalidURL, ValueError) as exc:
        # Saved before URLs were checked this way; waiting will not fix it.
        return SendResult(AttemptOutcome.FAILURE, elapsed(), error=f"invalid url: {exc}")
    own = _new_client(guard, timeout) if guard is not None else None
    client = own or _client(allow_private, timeout)
    try:
        with client.stream(
            request.method, url, headers=request.headers, content=request.body
        ) as response:
            body = _read_start(response)
    except httpx.TimeoutException:
        return SendResult(AttemptOutcome.RETRY, elapsed(), error=f"timed out after {timeout:g}s")
    except (httpx.RequestError, OSError) as exc:
        if blocked := blocked_address_in(exc):
            # Not retried: the address will not become public by waiting.
            return SendResult(AttemptOutcome.FAILURE, elapsed(), error=blocked_message(blocked))
        return SendResult(AttemptOutcome.RETRY, elapsed(), error=f"cannot connect: {exc}")
    finally:
        if own is not None:
            own.close()
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


def blocked_message(blocked: BlockedAddress) -> str:
    return (
        f"{blocked}; webhooks to internal addresses are refused "
        "(IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES allows them)"
    )


def _read_start(response: httpx.Response) -> str:
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept.extend(chunk)
        if len(kept) >= MAX_BODY_KEPT:
            break
    return kept[:MAX_BODY_KEPT].decode("utf-8", errors="replace")
