"""Conditional GETs (`ETag`, `If-None-Match`): a client polling something
that has not changed gets `304 Not Modified` and no body."""

from __future__ import annotations

import hashlib

from django.utils.http import parse_etags, quote_etag
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


def etag_of(*parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return quote_etag(digest)


def matches(request: Request, etag: str) -> bool:
    """Whether the client already has the representation `etag` (weak
    comparison, as RFC 9110 wants for If-None-Match)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    wanted = parse_etags(header)
    return "*" in wanted or etag.removeprefix("W/") in {e.removeprefix("W/") for e in wanted}


def not_modified(etag: str) -> Response:
    return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})


def tagged(response: Response, etag: str) -> Response:
    response["ETag"] = etag
    return response
