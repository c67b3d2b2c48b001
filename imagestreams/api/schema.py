"""OpenAPI generation (drf-spectacular) tuned to our view style."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error of the API (imagestreams.api.exceptions)."""

    detail = serializers.CharField(help_text="What went wrong, for a human.")
    code = serializers.CharField(help_text="invalid, not_found, forbidden, conflict, …")
    field = serializers.CharField(allow_null=True, help_text="The input at fault, if one is.")


ERRORS = {
    400: "Invalid input.",
    401: "Not authenticated.",
    403: "Visible, but the caller's role does not allow this.",
    404: "Missing, or not visible to the caller.",
}
WRITE_ERRORS = {409: "Conflict: an ambiguous digest prefix, a concurrent change."}


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer, direction) -> str:
        # Views nest their own InputSerializer/OutputSerializer, so the bare
        # class names repeat: name them after the view (TagApi → TagInput).
        view_name, _, own_name = type(serializer).__qualname__.rpartition(".")
        if view_name:
            return view_name.removesuffix("Api") + own_name.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

    def _get_response_bodies(self, direction="response"):
        """The declared responses plus the error responses every view can give."""
        responses = super()._get_response_bodies(direction)
        errors = ERRORS if self.method == "GET" else {**ERRORS, **WRITE_ERRORS}
        for status, description in errors.items():
            response = OpenApiResponse(ErrorSerializer, description)
            responses.setdefault(str(status), self._get_response_for_code(response, str(status)))
        return responses
