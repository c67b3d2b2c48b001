"""Image streams of a project (CRUD)."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for, stream_for
from imagestreams.api.conditional import IF_NONE_MATCH
from imagestreams.api.inputs import AnnotationsField, InputSerializer, parse, query
from imagestreams.api.pagination import Pagination
from imagestreams.api.serializers.streams import ImageStreamSerializer, described
from imagestreams.api.stream_reads import RecordedReadView, StreamRead
from imagestreams.api.views.base import paginated, principal_of
from imagestreams.api.views.projects import SEARCH, SearchSerializer
from imagestreams.selectors.streams import (
    stream_detail,
    stream_history,
    stream_visible,
    streams_list,
)
from imagestreams.services.streams import stream_create, stream_delete, stream_update

MAX_GENERATION = 2**63 - 1
TAGS = ["imagestreams"]


class StreamListCreateApi(APIView):
    pagination_class = Pagination

    class InputSerializer(InputSerializer):
        name = serializers.CharField(max_length=255)
        lookup_local = serializers.BooleanField(required=False, default=False)
        annotations = AnnotationsField(required=False, default=dict)

    @extend_schema(
        operation_id="imagestreams_list",
        parameters=[SEARCH],
        responses=ImageStreamSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, project: str) -> Response:
        filters = query(SearchSerializer, request.query_params)
        found = project_for(request.user, project, "view")
        return paginated(self, streams_list(project=found, **filters), ImageStreamSerializer)

    @extend_schema(
        operation_id="imagestreams_create",
        request=InputSerializer,
        responses={201: ImageStreamSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, project: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        found = project_for(request.user, project, "edit")
        stream = stream_create(by=principal_of(request), project=found, **data)
        stream = stream_detail(project=found, name=stream.name)
        return Response(ImageStreamSerializer(stream).data, status=status.HTTP_201_CREATED)


class StreamDetailApi(RecordedReadView):
    class PatchSerializer(InputSerializer):
        lookup_local = serializers.BooleanField(required=False)
        annotations = AnnotationsField(
            required=False, help_text="Replaces all annotations of the stream."
        )
        generation = serializers.IntegerField(
            required=False,
            min_value=0,
            max_value=MAX_GENERATION,
            help_text="Precondition: 409 if the stream's generation is no longer this.",
        )

    def stream_read(self, **kwargs: str) -> tuple[str, str, str]:
        return kwargs["project"], kwargs["name"], "describe"

    @extend_schema(
        operation_id="imagestreams_get",
        parameters=[IF_NONE_MATCH],
        responses={200: ImageStreamSerializer, 304: OpenApiResponse(description="Not modified")},
        tags=TAGS,
    )
    def get(self, request: Request, project: str, name: str) -> HttpResponseBase:
        read = StreamRead(request, *self.stream_read(project=project, name=name))
        if (recorded := read.recorded()) is not None:
            return recorded
        # Shares give view access to single streams of projects one is not in.
        stream = stream_visible(principal=request.user, project=project, name=name)
        if stream is None:  # the error, with the queries that find which one
            stream = stream_for(request.user, project, name, "view")
        return read.answer_with(self, described(stream, *stream_history(stream)))

    @extend_schema(
        operation_id="imagestreams_update",
        request=PatchSerializer,
        responses=ImageStreamSerializer,
        tags=TAGS,
    )
    def patch(self, request: Request, project: str, name: str) -> Response:
        data = parse(self.PatchSerializer, request.data)
        stream = stream_for(request.user, project, name, "edit")
        stream_update(
            by=principal_of(request),
            stream=stream,
            expected_generation=data.pop("generation", None),
            **data,
        )
        updated = stream_detail(project=stream.project, name=name)
        return Response(ImageStreamSerializer(updated).data)

    @extend_schema(operation_id="imagestreams_delete", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, project: str, name: str) -> Response:
        stream_delete(
            by=principal_of(request), stream=stream_for(request.user, project, name, "edit")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
