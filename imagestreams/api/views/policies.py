"""Tag policies: an external tag that follows the highest upstream tag
matching a rule (semver range, numerical, alphabetical, regex with a group)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import stream_for
from imagestreams.api.inputs import InputSerializer, parse, parse_istag
from imagestreams.api.serializers.istags import ImageStreamTagSerializer
from imagestreams.api.views.base import principal_of
from imagestreams.scheduling.services import tag_set_policy
from imagestreams.selectors.istags import istag_get
from imagestreams.selectors.tags import tag_get
from imagestreams.services.errors import NotFound


class PolicySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["semver", "numerical", "alphabetical"])
    range = serializers.CharField(
        required=False, allow_blank=True, max_length=256, help_text='semver: e.g. ">=1.2 <2".'
    )
    order = serializers.ChoiceField(
        choices=["asc", "desc"], required=False, help_text="numerical/alphabetical."
    )
    pattern = serializers.CharField(
        required=False, allow_blank=True, max_length=256, help_text="Candidate tags' regex."
    )
    extract = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text='Compared part, e.g. "$ts".'
    )


class IstagPolicyApi(APIView):
    class InputSerializer(InputSerializer):
        policy = PolicySerializer(allow_null=True, help_text="null removes the policy.")

    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField()
        chosen_tag = serializers.CharField(allow_blank=True)
        tag = ImageStreamTagSerializer(allow_null=True)

    @extend_schema(
        operation_id="imagestreamtags_policy",
        request=InputSerializer,
        responses=OutputSerializer,
        tags=["imagestreamtags"],
    )
    def put(self, request: Request, project: str, istag: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        stream_name, tag_name = parse_istag(istag)
        stream = stream_for(request.user, project, stream_name, "edit")
        found = stream.project
        tag = tag_get(stream=stream, name=tag_name)
        policy = {k: v for k, v in (data["policy"] or {}).items() if v not in ("", None)}
        result = tag_set_policy(by=principal_of(request), tag=tag, policy=policy or None)
        try:
            current = istag_get(project=found, stream=stream_name, tag=tag_name)
        except NotFound:  # a tag awaiting its first import has no image yet
            current = None
        output = {"message": result.message, "chosen_tag": result.chosen_tag, "tag": current}
        return Response(self.OutputSerializer(output).data)
