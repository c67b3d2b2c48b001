"""The pull spec by digest of `project/stream:tag` (what deployments use)."""

from __future__ import annotations

from dataclasses import asdict

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request

from imagestreams.access import stream_for
from imagestreams.api.conditional import IF_NONE_MATCH
from imagestreams.api.inputs import parse_istag
from imagestreams.api.stream_reads import RecordedReadView, StreamRead
from imagestreams.selectors.tags import tag_resolve, tag_resolve_visible


class ResolveApi(RecordedReadView):
    class OutputSerializer(serializers.Serializer):
        project = serializers.CharField()
        stream = serializers.CharField()
        tag = serializers.CharField()
        pull_spec = serializers.CharField()
        digest = serializers.CharField()
        reference_policy = serializers.CharField()

    def stream_read(self, **kwargs: str) -> tuple[str, str, str]:
        stream_name, tag_name = parse_istag(kwargs["istag"])
        return kwargs["project"], stream_name, f"resolve:{tag_name}"

    @extend_schema(
        operation_id="resolve",
        parameters=[IF_NONE_MATCH],
        responses={200: OutputSerializer, 304: OpenApiResponse(description="Not modified")},
        tags=["resolve"],
    )
    def get(self, request: Request, project: str, istag: str) -> HttpResponseBase:
        stream_name, tag_name = parse_istag(istag)
        read = StreamRead(request, *self.stream_read(project=project, istag=istag))
        if (recorded := read.recorded()) is not None:
            return recorded
        resolved = tag_resolve_visible(
            principal=request.user, project=project, stream=stream_name, name=tag_name
        )
        if resolved is None:  # the error, with the queries that find which one
            stream = stream_for(request.user, project, stream_name, "view")
            resolved = tag_resolve(stream=stream, name=tag_name)
        # The serializer documents the shape; the fields are plain strings already.
        return read.answer_with(self, asdict(resolved))
