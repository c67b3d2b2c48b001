"""The caller's account and API tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import person_for
from imagestreams.api.authentication import BearerTokenAuthentication, LimitedBasicAuthentication
from imagestreams.api.inputs import InputSerializer, parse
from imagestreams.api.pagination import Pagination
from imagestreams.api.throttling import limit_token_creation
from imagestreams.api.views.base import paginated, principal_of
from imagestreams.selectors.tokens import tokens_of
from imagestreams.services.tokens import MAX_TOKEN_DAYS, token_create, token_revoke


class WhoAmIApi(APIView):
    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField(source="get_username")
        is_superuser = serializers.BooleanField()

    @extend_schema(operation_id="whoami", responses=OutputSerializer, tags=["accounts"])
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(source="key_prefix", help_text="The token's first characters.")
    created = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenListCreateApi(APIView):
    # HTTP Basic with a username and password is accepted here only: it is how
    # `isctl login --username` obtains its token. Wrong passwords count
    # against the sign-in limit, whatever the method.
    authentication_classes = [
        BearerTokenAuthentication,
        LimitedBasicAuthentication,
        SessionAuthentication,
    ]
    pagination_class = Pagination

    class InputSerializer(InputSerializer):
        name = serializers.CharField(max_length=100)
        expires_in_days = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=MAX_TOKEN_DAYS
        )

    class CreatedSerializer(TokenSerializer):
        token = serializers.CharField(help_text="The secret; shown only in this response.")

    @extend_schema(
        operation_id="tokens_list", responses=TokenSerializer(many=True), tags=["accounts"]
    )
    def get(self, request: Request) -> Response:
        user = person_for(request.user, "list tokens of a user")
        return paginated(self, tokens_of(user=user), TokenSerializer)

    @extend_schema(
        operation_id="tokens_create",
        request=InputSerializer,
        responses={201: CreatedSerializer},
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        user = person_for(request.user, "create tokens of a user")
        limit_token_creation(request, user)
        data = parse(self.InputSerializer, request.data)
        token, raw = token_create(by=principal_of(request), **data)
        token.token = raw
        return Response(self.CreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    @extend_schema(operation_id="tokens_revoke", responses={204: None}, tags=["accounts"])
    def delete(self, request: Request, token_id: int) -> Response:
        owner = person_for(request.user, "revoke tokens of a user")
        token_revoke(by=principal_of(request), owner=owner, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
