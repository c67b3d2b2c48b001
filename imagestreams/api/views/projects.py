"""Projects: the namespaces of image streams; permissions are per project."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import person_for, project_for
from imagestreams.api.inputs import InputSerializer, parse, query
from imagestreams.api.pagination import Pagination
from imagestreams.api.views.base import paginated, principal_of
from imagestreams.selectors.projects import project_detail, projects_list
from imagestreams.services.projects import project_create

SEARCH = OpenApiParameter("search", str, description="Only names containing this text.")


class ProjectSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    description = serializers.CharField()
    role = serializers.CharField(help_text="The caller's role: viewer, editor or admin.")
    created = serializers.DateTimeField()


class SearchSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=255)


class ProjectListCreateApi(APIView):
    pagination_class = Pagination

    class InputSerializer(InputSerializer):
        name = serializers.CharField(max_length=63)
        display_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    @extend_schema(
        operation_id="projects_list",
        parameters=[SEARCH],
        responses=ProjectSerializer(many=True),
        tags=["projects"],
    )
    def get(self, request: Request) -> Response:
        filters = query(SearchSerializer, request.query_params)
        return paginated(self, projects_list(user=request.user, **filters), ProjectSerializer)

    @extend_schema(
        operation_id="projects_create",
        request=InputSerializer,
        responses={201: ProjectSerializer},
        tags=["projects"],
    )
    def post(self, request: Request) -> Response:
        person_for(request.user, "create projects")
        data = parse(self.InputSerializer, request.data)
        project = project_create(by=principal_of(request), **data)
        project = project_detail(user=request.user, project=project)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema(operation_id="projects_get", responses=ProjectSerializer, tags=["projects"])
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "view")
        return Response(ProjectSerializer(project_detail(user=request.user, project=found)).data)
