"""Reads of one stream (resolve, describe) answered from the shared cache:
the body recorded under the stream's current version (imagestreams.freshness),
for a caller this process has checked under the current access version. One
round trip to the cache, no database, while neither has changed; `304 Not
Modified` when the client's `If-None-Match` names it.

Only JSON answers are recorded (the browsable API renders each time), and
only with a shared cache: with per-process memory every read goes to the
database, and the ETag comes from the answer itself.

The views of these reads (RecordedReadView) look for a recorded answer before
DRF builds its request, for the common caller: a bearer token asking for
plain JSON. DRF's request, content negotiation and permission machinery were
about a sixth of a cached resolve's CPU (docs/benchmarks.md, "API, round 4").
Anything else, and every miss, goes through DRF as usual, which answers the
same bytes and headers (tests/api/test_stream_reads.py)."""

from __future__ import annotations

import importlib.metadata

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams import freshness
from imagestreams.access import remember_viewed, viewed_recently
from imagestreams.api.authentication import BearerTokenAuthentication
from imagestreams.api.conditional import body_etag, matches, not_modified
from imagestreams.integrated_registry import integrated_registry_pull_host
from imagestreams.services.errors import ServiceError


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
# What DRF answers with JSONRenderer, the first renderer: no Accept, */*, or JSON.
JSON = JSONRenderer.media_type
PLAIN_JSON_ACCEPTS = frozenset({"*/*", JSON})


def _answer_name(what: str, media_type: str) -> str:
    """Everything an answer's bytes depend on besides the stream's rows."""
    return "\0".join((what, media_type, integrated_registry_pull_host(), RELEASE))


class StreamRead:
    """One GET of something derived from the stream `project/stream` only;
    `what` names it within the stream (e.g. "resolve:latest")."""

    def __init__(self, request: Request, project: str, stream: str, what: str) -> None:
        self.request, self.project, self.stream = request, project, stream
        self.recordable = isinstance(request.accepted_renderer, JSONRenderer)
        self.answer = _answer_name(what, request.accepted_media_type)
        # Taken before any row is read (see freshness).
        self.known = (
            freshness.known(project, stream, self.answer) if self.recordable else freshness.NOTHING
        )

    def recorded(self) -> HttpResponseBase | None:
        """The recorded answer (or 304), if the caller was found allowed to view
        the stream under the current access version; None: read the database."""
        return _recorded_for(self.request, self.request.user, self.project, self.stream, self.known)

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


def _recorded_for(
    request: HttpRequest, principal, project: str, stream: str, known: freshness.Known
) -> HttpResponseBase | None:
    if not known.etag or not viewed_recently(principal, project, stream, known.access):
        return None
    if matches(request, known.etag):
        return not_modified(known.etag)
    if known.body is None:
        return None
    return _response(known.body, known.content_type, known.etag)


class RecordedReadView(APIView):
    """An APIView whose GET is a StreamRead: a recorded answer is looked for
    before DRF builds its request (see the module's docstring)."""

    def stream_read(self, **kwargs: str) -> tuple[str, str, str]:
        """(project, stream, what) of the StreamRead the GET makes, from the
        URL's arguments; ServiceError if they name none (the GET says why)."""
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        early = self._recorded_before_drf(request, kwargs)
        if early is not None:
            return early
        return super().dispatch(request, *args, **kwargs)

    def _recorded_before_drf(self, request: HttpRequest, kwargs: dict) -> HttpResponseBase | None:
        # Without a shared cache nothing is recorded; without the per-process
        # memory of checked callers nothing recorded may be given out.
        if not freshness.shared() or settings.AUTH_CACHE_SECONDS <= 0:
            return None
        if request.method != "GET" or "format" in request.GET:
            return None
        if request.META.get("HTTP_ACCEPT", "*/*") not in PLAIN_JSON_ACCEPTS:
            return None
        try:
            project, stream, what = self.stream_read(**kwargs)
        except ServiceError:
            return None  # DRF's path answers 400, saying why
        try:
            authenticated = BearerTokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            return None  # DRF's path answers 401, saying why
        if authenticated is None:
            return None  # a session or no credentials: DRF's path
        known = freshness.known(project, stream, _answer_name(what, JSON))
        response = _recorded_for(request, authenticated[0], project, stream, known)
        if response is not None:
            # What DRF's finalize_response adds (Allow, Vary: Accept).
            for name, value in self.default_response_headers.items():
                response[name] = value
        return response
