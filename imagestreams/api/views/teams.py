"""Teams: members, service accounts and their tokens, shares, the audit log
(project admins only), and the streams other projects share."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for
from imagestreams.api.inputs import InputSerializer, parse, query
from imagestreams.api.pagination import Pagination
from imagestreams.api.serializers.teams import (
    AuditEventSerializer,
    MemberSerializer,
    ServiceAccountSerializer,
    ServiceAccountTokenCreatedSerializer,
    ServiceAccountTokenSerializer,
    SharedImageStreamSerializer,
    ShareSerializer,
)
from imagestreams.api.views.base import paginated, principal_of
from imagestreams.models import Role
from imagestreams.selectors.audit import (
    EXPORT_FORMATS,
    INTERFACES,
    AuditFilters,
    audit_events,
    audit_export_lines,
)
from imagestreams.selectors.teams import (
    members_list,
    service_account_tokens,
    service_accounts_list,
    shared_streams_for,
    shared_streams_list,
    shares_list,
)
from imagestreams.services.teams import (
    member_remove,
    member_set,
    service_account_create,
    service_account_delete,
    service_account_get,
    service_account_token_create,
    service_account_token_revoke,
    service_account_update,
    share_grant,
    share_revoke,
)
from imagestreams.services.tokens import MAX_TOKEN_DAYS

TAGS = ["teams"]
ROLE_HELP = "viewer, editor or admin."


def role_field(**kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Role.values, help_text=ROLE_HELP, **kwargs)


# --- members -------------------------------------------------------------------


class MemberListApi(APIView):
    pagination_class = Pagination

    @extend_schema(operation_id="members_list", responses=MemberSerializer(many=True), tags=TAGS)
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "admin")
        return paginated(self, members_list(project=found), MemberSerializer)


class MemberDetailApi(APIView):
    class InputSerializer(InputSerializer):
        role = role_field()

    @extend_schema(
        operation_id="members_set",
        request=InputSerializer,
        responses=MemberSerializer,
        tags=TAGS,
        description="Add a user to the project or change their role. The last admin cannot be "
        "demoted (409).",
    )
    def put(self, request: Request, project: str, username: str) -> Response:
        found = project_for(request.user, project, "admin")
        data = parse(self.InputSerializer, request.data)
        membership = member_set(
            by=principal_of(request), project=found, username=username, role=data["role"]
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(operation_id="members_remove", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, project: str, username: str) -> Response:
        found = project_for(request.user, project, "admin")
        member_remove(by=principal_of(request), project=found, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- service accounts ----------------------------------------------------------


class ServiceAccountListCreateApi(APIView):
    pagination_class = Pagination

    class InputSerializer(InputSerializer):
        name = serializers.CharField(max_length=63)
        role = role_field(required=False, default=Role.VIEWER)
        description = serializers.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(
        operation_id="serviceaccounts_list",
        responses=ServiceAccountSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "admin")
        return paginated(self, service_accounts_list(project=found), ServiceAccountSerializer)

    @extend_schema(
        operation_id="serviceaccounts_create",
        request=InputSerializer,
        responses={201: ServiceAccountSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "admin")
        data = parse(self.InputSerializer, request.data)
        account = service_account_create(by=principal_of(request), project=found, **data)
        return Response(ServiceAccountSerializer(account).data, status=status.HTTP_201_CREATED)


class ServiceAccountDetailApi(APIView):
    class PatchSerializer(InputSerializer):
        role = role_field()

    @extend_schema(
        operation_id="serviceaccounts_get", responses=ServiceAccountSerializer, tags=TAGS
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        found = project_for(request.user, project, "admin")
        account = service_account_get(project=found, name=name)
        return Response(ServiceAccountSerializer(account).data)

    @extend_schema(
        operation_id="serviceaccounts_update",
        request=PatchSerializer,
        responses=ServiceAccountSerializer,
        tags=TAGS,
    )
    def patch(self, request: Request, project: str, name: str) -> Response:
        found = project_for(request.user, project, "admin")
        data = parse(self.PatchSerializer, request.data)
        account = service_account_get(project=found, name=name)
        account = service_account_update(
            by=principal_of(request), account=account, role=data["role"]
        )
        return Response(ServiceAccountSerializer(account).data)

    @extend_schema(
        operation_id="serviceaccounts_delete",
        responses={204: None},
        tags=TAGS,
        description="Deletes the account with all its tokens.",
    )
    def delete(self, request: Request, project: str, name: str) -> Response:
        found = project_for(request.user, project, "admin")
        service_account_delete(
            by=principal_of(request), account=service_account_get(project=found, name=name)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceAccountTokenListCreateApi(APIView):
    pagination_class = Pagination

    class InputSerializer(InputSerializer):
        name = serializers.CharField(max_length=100)
        expires_in_days = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=MAX_TOKEN_DAYS
        )

    @extend_schema(
        operation_id="serviceaccounts_tokens_list",
        responses=ServiceAccountTokenSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        found = project_for(request.user, project, "admin")
        account = service_account_get(project=found, name=name)
        return paginated(
            self, service_account_tokens(account=account), ServiceAccountTokenSerializer
        )

    @extend_schema(
        operation_id="serviceaccounts_tokens_create",
        request=InputSerializer,
        responses={201: ServiceAccountTokenCreatedSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        found = project_for(request.user, project, "admin")
        data = parse(self.InputSerializer, request.data)
        account = service_account_get(project=found, name=name)
        token, raw = service_account_token_create(by=principal_of(request), account=account, **data)
        token.token = raw
        return Response(
            ServiceAccountTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED
        )


class ServiceAccountTokenRevokeApi(APIView):
    @extend_schema(operation_id="serviceaccounts_tokens_revoke", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, project: str, name: str, token_id: int) -> Response:
        found = project_for(request.user, project, "admin")
        account = service_account_get(project=found, name=name)
        service_account_token_revoke(by=principal_of(request), account=account, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- sharing -------------------------------------------------------------------


class ShareListCreateApi(APIView):
    pagination_class = Pagination

    class InputSerializer(InputSerializer):
        stream = serializers.CharField(
            required=False,
            allow_null=True,
            allow_blank=True,
            max_length=255,
            help_text="One stream of the project; absent or null: every stream.",
        )
        target_project = serializers.CharField(required=False, allow_blank=True, max_length=63)
        target_user = serializers.CharField(required=False, allow_blank=True, max_length=150)

    @extend_schema(operation_id="shares_list", responses=ShareSerializer(many=True), tags=TAGS)
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "admin")
        return paginated(self, shares_list(project=found), ShareSerializer)

    @extend_schema(
        operation_id="shares_create",
        request=InputSerializer,
        responses={201: ShareSerializer},
        tags=TAGS,
        description="Give pull (view) access to one stream or every stream of the project to "
        "another project (its members and service accounts) or to one user. Granting a share "
        "that exists returns it.",
    )
    def post(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "admin")
        data = parse(self.InputSerializer, request.data)
        share = share_grant(
            project=found,
            stream_name=data.get("stream") or None,
            target_project=data.get("target_project") or None,
            target_user=data.get("target_user") or None,
            by=principal_of(request),
        )
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)


class ShareRevokeApi(APIView):
    @extend_schema(operation_id="shares_revoke", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, project: str, share_id: int) -> Response:
        found = project_for(request.user, project, "admin")
        share_revoke(by=principal_of(request), project=found, share_id=share_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- streams shared with a project or a user -----------------------------------


class SharedStreamListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="imagestreams_shared_list",
        responses=SharedImageStreamSerializer(many=True),
        tags=["imagestreams"],
        description="Streams of other projects shared with this project (read-only).",
    )
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "view")
        return paginated(self, shared_streams_list(project=found), SharedImageStreamSerializer)


class SharedWithMeApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="imagestreams_shared_with_me",
        responses=SharedImageStreamSerializer(many=True),
        tags=["imagestreams"],
        description="Every stream shared with the caller, directly or through their projects, "
        "from projects they are not a member of (read-only).",
    )
    def get(self, request: Request) -> Response:
        return paginated(self, shared_streams_for(request.user), SharedImageStreamSerializer)


# --- audit log -----------------------------------------------------------------


class AuditFilterSerializer(serializers.Serializer):
    action = serializers.CharField(required=False, allow_blank=True, max_length=64)
    actor = serializers.CharField(required=False, allow_blank=True, max_length=150)
    interface = serializers.ChoiceField(choices=INTERFACES, required=False, allow_blank=True)
    target = serializers.CharField(required=False, allow_blank=True, max_length=512)
    since = serializers.DateTimeField(required=False, help_text="Inclusive, ISO 8601.")
    until = serializers.DateTimeField(required=False, help_text="Exclusive, ISO 8601.")


AUDIT_PARAMETERS = [
    OpenApiParameter("action", str, description="`tag.set`, or a prefix: `tag`."),
    OpenApiParameter("actor", str, description="Exactly this username."),
    OpenApiParameter("interface", str, enum=INTERFACES),
    OpenApiParameter("target", str, description="Targets containing this text."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From (inclusive)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Until (exclusive)."),
]


def audit_filters(params) -> AuditFilters:
    return AuditFilters(**query(AuditFilterSerializer, params))


class AuditListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="audit_list",
        parameters=AUDIT_PARAMETERS,
        responses=AuditEventSerializer(many=True),
        tags=TAGS,
        description="The project's audit log, newest first.",
    )
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, "admin")
        events = audit_events(project=found, filters=audit_filters(request.query_params))
        return paginated(self, events, AuditEventSerializer)


class ExportNegotiation(DefaultContentNegotiation):
    """`?format=` names the export format here, not a renderer: errors are
    always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditExportApi(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ExportNegotiation

    class FormatSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=list(EXPORT_FORMATS), default="csv")

    @extend_schema(
        operation_id="audit_export",
        parameters=[
            *AUDIT_PARAMETERS,
            OpenApiParameter("format", str, enum=list(EXPORT_FORMATS), default="csv"),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header."),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One JSON object per line."
            ),
        },
        tags=TAGS,
        description="The whole filtered audit log, newest first, as CSV or JSON lines.",
    )
    def get(self, request: Request, project: str) -> StreamingHttpResponse:
        found = project_for(request.user, project, "admin")
        fmt = query(self.FormatSerializer, request.query_params)["format"]
        events = audit_events(project=found, filters=audit_filters(request.query_params))
        response = StreamingHttpResponse(
            audit_export_lines(events, fmt), content_type=EXPORT_FORMATS[fmt]
        )
        filename = f"{found.name}-audit.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
