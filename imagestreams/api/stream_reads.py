"""Reads of one stream (resolve, describe) answered from the shared cache:
the body recorded under the stream's current version (imagestreams.freshness),
for a caller this process has checked under the current access version. One
round trip to the cache, no database, while neither has changed; `304 Not
Modified` when the client's `If-None-Match` names it.

Only JSON answers are recorded (the browsable API renders each time), and
only with a shared cache: with per-process memory every read goes to the
database, and the ETag comes from the answer itself."""

from __future__ import annotations

import importlib.metadata

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams import freshness
from imagestreams.access import remember_viewed, viewed_recently
from imagestreams.api.conditional import body_etag, matches, not_modified
from imagestreams.integrated_registry import integrated_registry_pull_host


def _release() -> str:
    try:
        return importlib.metadata.version("imagestreams")
    except importlib.metadata.PackageNotFoundError:
        return ""


# A recorded answer also depends on the code that rendered it: another release
# does not read the bodies of the one before.
RELEASE = _release()
# Larger answers (a stream of thousands of tags described) are recorded
# without their body, for 304s only: every read of a record transfers it.
RECORDED_BODY_MAX = 512 * 1024


class StreamRead:
    """One GET of something derived from the stream `project/stream` only;
    `what` names it within the stream (e.g. "resolve:latest")."""

    def __init__(self, request: Request, project: str, stream: str, what: str) -> None:
        self.request, self.project, self.stream = request, project, stream
        self.recordable = isinstance(request.accepted_renderer, JSONRenderer)
        # Everything an answer's bytes depend on besides the stream's rows.
        self.answer = "\0".join(
            (what, request.accepted_media_type, integrated_registry_pull_host(), RELEASE)
        )
        # Taken before any row is read (see freshness).
        self.known = (
            freshness.known(project, stream, self.answer) if self.recordable else freshness.NOTHING
        )

    def recorded(self) -> HttpResponseBase | None:
        """The recorded answer (or 304), if the caller was found allowed to view
        the stream under the current access version; None: read the database."""
        known = self.known
        if not known.etag:
            return None
        if not viewed_recently(self.request.user, self.project, self.stream, known.access):
            return None
        if matches(self.request, known.etag):
            return not_modified(known.etag)
        if known.body is None:
            return None
        return _response(known.body, known.content_type, known.etag)

    def answer_with(self, view: APIView, data: dict) -> HttpResponseBase:
        """The answer to send, `data` having just been read from the database
        for a caller allowed to view the stream; recorded for the next reads."""
        remember_viewed(self.request.user, self.project, self.stream, self.known.access)
        if not self.recordable:
            return Response(data)
        renderer = self.request.accepted_renderer
        rendered = renderer.render(
            data, self.request.accepted_media_type, view.get_renderer_context()
        )
        body = rendered.encode() if isinstance(rendered, str) else rendered
        content_type = renderer.media_type
        if renderer.charset:
            content_type = f"{content_type}; charset={renderer.charset}"
        etag = body_etag(content_type, body)
        known = self.known
        recorded = body if len(body) <= RECORDED_BODY_MAX else None
        freshness.record(
            self.project, self.stream, self.answer, known.version, etag, recorded, content_type
        )
        if matches(self.request, etag):
            return not_modified(etag)
        return _response(body, content_type, etag)


def _response(body: bytes, content_type: str, etag: str) -> HttpResponse:
    # The rendered bytes as they are: no serializer or renderer runs again.
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    return response
