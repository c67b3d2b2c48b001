"""Image stream tags (`stream:tag`): read, delete, history, rollback."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for, stream_for
from imagestreams.api.inputs import InputSerializer, parse, parse_istag, query
from imagestreams.api.pagination import Pagination
from imagestreams.api.serializers.istags import ImageStreamTagSerializer
from imagestreams.api.serializers.streams import TagEventSerializer
from imagestreams.api.views.base import paginated, principal_of
from imagestreams.selectors.istags import istag_get, istags_list
from imagestreams.selectors.tags import tag_get, tag_history
from imagestreams.services.rollback import tag_rollback
from imagestreams.services.tagging import tag_delete

TAGS = ["imagestreamtags"]


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class IstagListApi(APIView):
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        stream = serializers.CharField(required=False, allow_blank=True, max_length=255)

    @extend_schema(
        operation_id="imagestreamtags_list",
        parameters=[OpenApiParameter("stream", str, description="Only tags of this stream.")],
        responses=ImageStreamTagSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, project: str) -> Response:
        filters = query(self.FilterSerializer, request.query_params)
        found = project_for(request.user, project, "view")
        return paginated(self, istags_list(project=found, **filters), ImageStreamTagSerializer)


class IstagDetailApi(APIView):
    @extend_schema(
        operation_id="imagestreamtags_get", responses=ImageStreamTagSerializer, tags=TAGS
    )
    def get(self, request: Request, project: str, istag: str) -> Response:
        stream, tag = parse_istag(istag)
        found = stream_for(request.user, project, stream, "view").project
        return Response(
            ImageStreamTagSerializer(istag_get(project=found, stream=stream, tag=tag)).data
        )

    @extend_schema(
        operation_id="imagestreamtags_delete", responses={200: MessageSerializer}, tags=TAGS
    )
    def delete(self, request: Request, project: str, istag: str) -> Response:
        stream, _ = parse_istag(istag)
        found = stream_for(request.user, project, stream, "edit").project
        [message] = tag_delete(project=found, destinations=[istag], by=principal_of(request))
        return Response(MessageSerializer({"message": message}).data)


class IstagHistoryApi(APIView):
    class OutputSerializer(serializers.Serializer):
        items = TagEventSerializer(many=True, help_text="Newest first; items[0] is current.")

    @extend_schema(operation_id="imagestreamtags_history", responses=OutputSerializer, tags=TAGS)
    def get(self, request: Request, project: str, istag: str) -> Response:
        stream_name, tag_name = parse_istag(istag)
        tag = tag_get(stream=stream_for(request.user, project, stream_name, "view"), name=tag_name)
        return Response(self.OutputSerializer({"items": tag_history(tag=tag)}).data)


class IstagRollbackApi(APIView):
    class InputSerializer(InputSerializer):
        to = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=71,
            help_text="Digest or unique digest prefix of an earlier image of the tag.",
        )
        steps = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=1_000_000,
            help_text="How many history entries back (1 when neither is given).",
        )

    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField()
        tag = ImageStreamTagSerializer()

    @extend_schema(
        operation_id="imagestreamtags_rollback",
        request=InputSerializer,
        responses=OutputSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, project: str, istag: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        stream_name, tag_name = parse_istag(istag)
        stream = stream_for(request.user, project, stream_name, "edit")
        tag = tag_get(stream=stream, name=tag_name)
        result = tag_rollback(tag=tag, by=principal_of(request), **data)
        rolled = istag_get(project=stream.project, stream=stream_name, tag=tag_name)
        return Response(self.OutputSerializer({"message": result.message, "tag": rolled}).data)
