"""The pull spec by digest of `project/stream:tag` (what deployments use)."""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams import freshness
from imagestreams.access import remember_viewed, stream_for, viewed_recently
from imagestreams.api.conditional import etag_of, matches, not_modified, tagged
from imagestreams.api.inputs import parse_istag
from imagestreams.selectors.tags import tag_resolve, tag_resolve_visible

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of an earlier answer: 304 with no body if the tag still resolves "
    "to the same thing.",
)


class ResolveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        project = serializers.CharField()
        stream = serializers.CharField()
        tag = serializers.CharField()
        pull_spec = serializers.CharField()
        digest = serializers.CharField()
        reference_policy = serializers.CharField()

    @extend_schema(
        operation_id="resolve",
        parameters=[IF_NONE_MATCH],
        responses={200: OutputSerializer, 304: OpenApiResponse(description="Not modified")},
        tags=["resolve"],
    )
    def get(self, request: Request, project: str, istag: str) -> Response:
        stream_name, tag_name = parse_istag(istag)
        answer = f"resolve:{tag_name}:{getattr(request, 'accepted_media_type', '')}"
        # Only a poll asks the cache, before reading any row (see freshness).
        polling = bool(request.headers.get("If-None-Match"))
        known = freshness.known(project, stream_name, answer) if polling else None
        recorded = known.etag if known else ""
        unchanged = recorded and matches(request, recorded)
        if unchanged and viewed_recently(request.user, project, stream_name):
            return not_modified(recorded)
        resolved = tag_resolve_visible(
            principal=request.user, project=project, stream=stream_name, name=tag_name
        )
        if resolved is None:  # the error, with the queries that find which one
            stream = stream_for(request.user, project, stream_name, "view")
            resolved = tag_resolve(stream=stream, name=tag_name)
        remember_viewed(request.user, project, stream_name)
        # The serializer documents the shape; the fields are plain strings already.
        data = asdict(resolved)
        etag = self._etag(request, *data.values())
        if known:
            freshness.record(project, stream_name, answer, known.version, etag)
        if matches(request, etag):
            return not_modified(etag)
        return tagged(Response(data), etag)

    @staticmethod
    def _etag(request: Request, *parts: str) -> str:
        media_type = getattr(request, "accepted_media_type", "")
        return etag_of(media_type, settings.INTERNAL_REGISTRY_HOSTNAME, *parts)
