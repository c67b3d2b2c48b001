"""The pull spec by digest of `project/stream:tag` (what deployments use)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import stream_for
from imagestreams.api.inputs import parse_istag
from imagestreams.selectors.tags import tag_resolve


class ResolveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        project = serializers.CharField(source="tag.stream.project.name")
        stream = serializers.CharField(source="tag.stream.name")
        tag = serializers.CharField(source="tag.name")
        pull_spec = serializers.CharField()
        digest = serializers.CharField()
        reference_policy = serializers.CharField(source="tag.reference_policy")

    @extend_schema(operation_id="resolve", responses=OutputSerializer, tags=["resolve"])
    def get(self, request: Request, project: str, istag: str) -> Response:
        stream_name, tag_name = parse_istag(istag)
        stream = stream_for(request.user, project, stream_name, "view")
        resolved = tag_resolve(stream=stream, name=tag_name)
        return Response(self.OutputSerializer(resolved).data)
