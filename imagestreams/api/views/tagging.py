"""`oc tag` and `oc tag -d`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for
from imagestreams.api.inputs import InputSerializer, parse
from imagestreams.api.views.base import principal_of
from imagestreams.services.tagging import TagOptions, tag_delete, tag_set

TAGS = ["tagging"]
MAX_DESTINATIONS = 100


def destinations_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=512),
        min_length=1,
        max_length=MAX_DESTINATIONS,
        help_text="`[project/]stream:tag` each.",
    )


class TagResultSerializer(serializers.Serializer):
    destination = serializers.CharField()
    message = serializers.CharField()


class TagApi(APIView):
    class InputSerializer(InputSerializer):
        # DRF's metaclass moves declared fields off the class, so this does not
        # replace Field.source; the stubs see a clash.
        source = serializers.CharField(max_length=1024)  # type: ignore[assignment]
        source_kind = serializers.CharField(
            required=False,
            allow_null=True,
            max_length=32,
            help_text="docker, istag or isimage; inferred from the source like `oc tag` when "
            "absent.",
        )
        destinations = destinations_field()
        alias = serializers.BooleanField(required=False, default=False)
        reference = serializers.BooleanField(required=False, default=False)
        scheduled = serializers.BooleanField(required=False, default=False)
        insecure = serializers.BooleanField(required=False, default=False)
        reference_policy = serializers.CharField(
            required=False, default="source", max_length=32, help_text="source or local."
        )
        import_mode = serializers.CharField(
            required=False,
            allow_null=True,
            default=None,
            max_length=32,
            help_text="Legacy or PreserveOriginal (default: the server's default import mode).",
        )

    class OutputSerializer(serializers.Serializer):
        results = TagResultSerializer(many=True)

    @extend_schema(
        operation_id="tag",
        request=InputSerializer,
        responses=OutputSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, project: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        found = project_for(request.user, project, "edit")
        results = tag_set(
            project=found,
            source=data.pop("source"),
            destinations=data.pop("destinations"),
            source_kind=data.pop("source_kind", None),
            options=TagOptions(**data),
            by=principal_of(request),
        )
        shown = [
            {"destination": r.destination.display(found.name), "message": r.message}
            for r in results
        ]
        return Response(self.OutputSerializer({"results": shown}).data)


class UntagApi(APIView):
    class InputSerializer(InputSerializer):
        destinations = destinations_field()

    class OutputSerializer(serializers.Serializer):
        messages = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        operation_id="untag", request=InputSerializer, responses=OutputSerializer, tags=TAGS
    )
    def post(self, request: Request, project: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        found = project_for(request.user, project, "edit")
        messages = tag_delete(
            project=found,
            destinations=data["destinations"],
            by=principal_of(request),
        )
        return Response(self.OutputSerializer({"messages": messages}).data)
