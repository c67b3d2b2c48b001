"""Image stream images (`stream@digest`, a unique digest prefix accepted)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import stream_for
from imagestreams.api.inputs import parse_isimage
from imagestreams.api.serializers.images import ImageStreamImageSerializer
from imagestreams.selectors.images import stream_image_get


class IsimageDetailApi(APIView):
    @extend_schema(
        operation_id="imagestreamimages_get",
        responses=ImageStreamImageSerializer,
        tags=["imagestreamimages"],
    )
    def get(self, request: Request, project: str, isimage: str) -> Response:
        stream, digest = parse_isimage(isimage)
        found = stream_for(request.user, project, stream, "view").project
        image = stream_image_get(project=found, stream=stream, digest=digest)
        return Response(ImageStreamImageSerializer((stream, image)).data)
