"""Authenticating inbound webhooks with the operator's IMAGESTREAMS_WEBHOOK_SECRET.

Docker Hub, Quay and Harbor cannot sign what they send, so their URL carries
a token derived from the secret, one per kind (as Flux's receivers do):
``printf dockerhub | openssl dgst -sha256 -hmac "$IMAGESTREAMS_WEBHOOK_SECRET"``.
The generic form is signed: ``X-Signature: sha256=<hex HMAC-SHA256 of the body>``.
"""

from __future__ import annotations

import hashlib
import hmac


def url_token(secret: str, kind: str) -> str:
    return hmac.new(secret.encode(), kind.encode(), hashlib.sha256).hexdigest()


def valid_url_token(secret: str, kind: str, token: str) -> bool:
    return hmac.compare_digest(url_token(secret, kind), token.lower())


def body_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid_body_signature(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(body_signature(secret, body), header.strip().lower())
