"""REST API of triggers, under /api/v1/projects/{project}/triggers (see
triggers/README.md). Every operation needs the "triggers" right on the
project (imagestreams.access): trigger URLs and their deliveries may reveal
secrets and internal systems."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for
from imagestreams.api.inputs import InputSerializer, parse
from imagestreams.api.pagination import Pagination
from imagestreams.api.views.base import paginated, principal_of
from triggers.models import Preset, Trigger
from triggers.selectors import delivery_get, delivery_list, trigger_get, trigger_list
from triggers.serializers import DeliverySerializer, TriggerSerializer
from triggers.services.deliveries import delivery_resend, trigger_send_test
from triggers.services.triggers import trigger_create, trigger_delete, trigger_update

TAGS = ["triggers"]
TRIGGERS_RIGHT = "triggers"


def _credential(max_length: int, help_text: str) -> serializers.CharField:
    """A secret the API takes and never shows again."""
    return serializers.CharField(
        max_length=max_length,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=help_text,
    )


class TriggerFields(InputSerializer):
    stream = serializers.CharField(max_length=255)
    tag = serializers.CharField(max_length=128, required=False, allow_blank=True)
    preset = serializers.ChoiceField(choices=Preset.choices, required=False)
    url = serializers.CharField(max_length=2048, required=False, allow_blank=True)
    options = serializers.DictField(required=False)
    secret = _credential(
        1024, "Key of the HMAC-SHA256 signature header; stored encrypted, never shown."
    )
    token = _credential(
        1024,
        "GitHub token, GitLab trigger token, a bearer token for a JSON webhook, or "
        "a token allowed to push (Git write-back to an https:// URL).",
    )
    ssh_key = _credential(
        16384,
        "Git write-back to an SSH URL: the deploy key's private key (OpenSSH or PEM "
        "text, no passphrase); stored encrypted, never shown. The server's host key goes in "
        "options.known_hosts.",
    )
    enabled = serializers.BooleanField(required=False)


class TriggerListCreateApi(APIView):
    pagination_class = Pagination

    class CreateSerializer(TriggerFields):
        name = serializers.CharField(max_length=63)

    @extend_schema(operation_id="triggers_list", responses=TriggerSerializer(many=True), tags=TAGS)
    def get(self, request: Request, project: str) -> Response:
        found = project_for(request.user, project, TRIGGERS_RIGHT)
        return paginated(self, trigger_list(project=found), TriggerSerializer)

    @extend_schema(
        operation_id="triggers_create",
        request=CreateSerializer,
        responses={201: TriggerSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, project: str) -> Response:
        data = parse(self.CreateSerializer, request.data)
        found = project_for(request.user, project, TRIGGERS_RIGHT)
        trigger = trigger_create(by=principal_of(request), project=found, **data)
        return Response(TriggerSerializer(trigger).data, status=status.HTTP_201_CREATED)


class TriggerDetailApi(APIView):
    class UpdateSerializer(TriggerFields):
        stream = serializers.CharField(max_length=255, required=False)

    @extend_schema(operation_id="triggers_get", responses=TriggerSerializer, tags=TAGS)
    def get(self, request: Request, project: str, name: str) -> Response:
        return Response(TriggerSerializer(_trigger(request, project, name)).data)

    @extend_schema(
        operation_id="triggers_update",
        request=UpdateSerializer,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def patch(self, request: Request, project: str, name: str) -> Response:
        data = parse(self.UpdateSerializer, request.data)
        trigger = trigger_update(
            by=principal_of(request), trigger=_trigger(request, project, name), **data
        )
        return Response(TriggerSerializer(trigger).data)

    @extend_schema(operation_id="triggers_delete", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, project: str, name: str) -> Response:
        trigger_delete(by=principal_of(request), trigger=_trigger(request, project, name))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TestResultSerializer(serializers.Serializer):
    succeeded = serializers.BooleanField()
    delivery = DeliverySerializer()


class TriggerTestApi(APIView):
    @extend_schema(
        operation_id="triggers_test",
        request=None,
        responses=TestResultSerializer,
        tags=TAGS,
        description="Send one test request now (no retries) and return how it went.",
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        result = trigger_send_test(
            by=principal_of(request), trigger=_trigger(request, project, name)
        )
        delivery = delivery_get(trigger=result.delivery.trigger, delivery_id=result.delivery.uuid)
        return Response(
            {"succeeded": result.succeeded, "delivery": DeliverySerializer(delivery).data}
        )


class DeliveryListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="trigger_deliveries_list",
        responses=DeliverySerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        trigger = _trigger(request, project, name)
        return paginated(self, delivery_list(trigger=trigger), DeliverySerializer)


class DeliveryDetailApi(APIView):
    @extend_schema(operation_id="trigger_deliveries_get", responses=DeliverySerializer, tags=TAGS)
    def get(self, request: Request, project: str, name: str, delivery: str) -> Response:
        trigger = _trigger(request, project, name)
        return Response(
            DeliverySerializer(delivery_get(trigger=trigger, delivery_id=delivery)).data
        )


class DeliveryResendApi(APIView):
    @extend_schema(
        operation_id="trigger_deliveries_resend",
        request=None,
        responses={202: DeliverySerializer},
        tags=TAGS,
    )
    def post(self, request: Request, project: str, name: str, delivery: str) -> Response:
        trigger = _trigger(request, project, name)
        resent = delivery_resend(
            by=principal_of(request),
            delivery=delivery_get(trigger=trigger, delivery_id=delivery),
        )
        fresh = delivery_get(trigger=trigger, delivery_id=resent.uuid)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


def _trigger(request: Request, project: str, name: str) -> Trigger:
    return trigger_get(project=project_for(request.user, project, TRIGGERS_RIGHT), name=name)
