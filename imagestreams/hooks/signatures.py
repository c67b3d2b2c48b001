"""Authenticating inbound webhooks with the operator's IMAGESTREAMS_WEBHOOK_SECRET.

Docker Hub, Quay and Harbor cannot sign what they send, so their URL carries
a token derived from the secret, one per kind (as Flux's receivers do):
``printf dockerhub | openssl dgst -sha256 -hmac "$IMAGESTREAMS_WEBHOOK_SECRET"``.

The generic form is signed as outgoing triggers are: ``X-Timestamp: <Unix
time>`` and ``X-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>``.
The timestamp is part of what is signed, and requests more than
MAX_AGE_SECONDS away from our clock are refused, so a captured request cannot
be replayed later (a signature of the body alone could be, for ever).
"""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_AGE_SECONDS = 300
GENERIC_FORMAT = (
    "X-Timestamp: <Unix time in seconds> and X-Signature: sha256=<hex HMAC-SHA256 of "
    'timestamp + "." + body>'
)


def url_token(secret: str, kind: str) -> str:
    return hmac.new(secret.encode(), kind.encode(), hashlib.sha256).hexdigest()


def valid_url_token(secret: str, kind: str, token: str) -> bool:
    return hmac.compare_digest(url_token(secret, kind), token.lower())


def generic_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def generic_signature_error(
    secret: str, body: bytes, *, timestamp: str, signature: str, now: float | None = None
) -> str | None:
    """Why a generic webhook is not authentic, or None when it is."""
    timestamp = timestamp.strip()
    if not timestamp:
        return f"missing X-Timestamp; sign requests as {GENERIC_FORMAT}"
    expected = generic_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return f"missing or wrong X-Signature; sign requests as {GENERIC_FORMAT}"
    if not timestamp.isdigit():
        return "X-Timestamp must be the Unix time in seconds"
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > MAX_AGE_SECONDS:
        when = "old" if age > 0 else "in the future"
        return (
            f"X-Timestamp is {abs(int(age))} seconds {when}; requests more than "
            f"{MAX_AGE_SECONDS} seconds from the server's clock are refused (replay "
            "protection): sign each request when sending it, and check the sender's clock"
        )
    return None
