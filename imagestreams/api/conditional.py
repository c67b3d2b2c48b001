"""Conditional GETs (`ETag`, `If-None-Match`): a client polling something
that has not changed gets `304 Not Modified` and no body."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of an earlier answer: 304 with no body if the answer is still the same.",
)


def body_etag(content_type: str, body: bytes) -> str:
    """The ETag of a representation: its bytes and their type."""
    digest = hashlib.sha256(content_type.encode() + b"\0" + body).hexdigest()[:32]
    return quote_etag(digest)


def matches(request: HttpRequest | Request, etag: str) -> bool:
    """Whether the client already has the representation `etag` (weak
    comparison, as RFC 9110 wants for If-None-Match)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    wanted = parse_etags(header)
    return "*" in wanted or etag.removeprefix("W/") in {e.removeprefix("W/") for e in wanted}


def not_modified(etag: str) -> HttpResponse:
    response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
    response["ETag"] = etag
    return response
