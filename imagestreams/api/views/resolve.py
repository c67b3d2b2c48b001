"""The pull spec by digest of `project/stream:tag` (what deployments use)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for
from imagestreams.api.inputs import parse_istag
from imagestreams.selectors.tags import tag_resolve
from imagestreams.services.streams import stream_get


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
        found = project_for(request.user, project, "view")
        resolved = tag_resolve(stream=stream_get(project=found, name=stream_name), name=tag_name)
        return Response(self.OutputSerializer(resolved).data)
