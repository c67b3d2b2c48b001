"""`oc import-image`: import one tag or a whole repository, or try it (dry run)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import project_for
from imagestreams.api.inputs import InputSerializer, parse
from imagestreams.api.serializers.images import (
    ImageSerializer,
    facts_of_fetched,
    facts_of_image,
)
from imagestreams.api.serializers.streams import ImageStreamSerializer
from imagestreams.api.views.base import principal_of
from imagestreams.models.streams import ImportStatus
from imagestreams.selectors.images import images_by_digest
from imagestreams.selectors.streams import stream_detail
from imagestreams.services.import_image import ImportImageRequest, import_image
from imagestreams.services.imports import TagImportStatus


class ImportStatusSerializer(serializers.Serializer):
    tag = serializers.CharField()
    status = serializers.ChoiceField(choices=ImportStatus.values)
    reason = serializers.CharField()
    message = serializers.CharField()
    reference = serializers.CharField()
    digest = serializers.CharField()
    image = serializers.SerializerMethodField()

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, status: TagImportStatus) -> dict | None:
        # Stored images (imported now or unchanged) carry when we first saw
        # them; a dry run only has what it fetched.
        stored = self.context.get("stored_images", {}).get(status.digest)
        if stored is not None:
            return ImageSerializer(facts_of_image(stored, status.reference)).data
        if status.image is not None:
            return ImageSerializer(facts_of_fetched(status.image, status.reference)).data
        return None


class ImportApi(APIView):
    class InputSerializer(InputSerializer):
        target = serializers.CharField(max_length=1024, help_text="`stream[:tag]`")
        confirm = serializers.BooleanField(required=False, default=False)
        all = serializers.BooleanField(required=False, default=False)
        scheduled = serializers.BooleanField(required=False, default=False)
        insecure = serializers.BooleanField(required=False, default=False)
        reference_policy = serializers.CharField(
            required=False, allow_null=True, max_length=32, help_text="source or local."
        )
        import_mode = serializers.CharField(
            required=False,
            allow_null=True,
            max_length=32,
            help_text="Legacy or PreserveOriginal.",
        )
        dry_run = serializers.BooleanField(required=False, default=False)

        def get_fields(self):
            fields = super().get_fields()
            # `from` is a Python keyword, so it cannot be declared as an attribute.
            fields["from"] = serializers.CharField(
                source="from_image",
                required=False,
                allow_null=True,
                max_length=1024,
                help_text="The external image (or repository with `all`) to import from.",
            )
            return fields

    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField()
        dry_run = serializers.BooleanField()
        failed = serializers.BooleanField()
        statuses = ImportStatusSerializer(many=True)
        additional_tags = serializers.ListField(
            child=serializers.CharField(), help_text="Tags over the bulk import limit."
        )
        stream = ImageStreamSerializer(allow_null=True)

    @extend_schema(
        operation_id="imports_create",
        request=InputSerializer,
        responses=OutputSerializer,
        tags=["imports"],
    )
    def post(self, request: Request, project: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        found = project_for(request.user, project, "edit")
        result = import_image(
            project=found, request=ImportImageRequest(**data), by=principal_of(request)
        )
        stream = stream_detail(project=found, name=result.stream_name) if result.stream else None
        output = {
            "message": result.message,
            "dry_run": result.dry_run,
            "failed": result.failed,
            "statuses": result.statuses,
            "additional_tags": result.additional_tags,
            "stream": stream,
        }
        stored = [] if result.dry_run else [s.digest for s in result.statuses if s.digest]
        context = {"stored_images": images_by_digest(stored)}
        return Response(self.OutputSerializer(output, context=context).data)
