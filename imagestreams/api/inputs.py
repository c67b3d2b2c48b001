"""Parsing request input: strict serializers and the `stream:tag` /
`stream@digest` names of URLs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from imagestreams.models.streams import stream_name_validator
from imagestreams.services.errors import InvalidInput
from imagestreams.services.sources import validate_tag_name

MAX_ANNOTATIONS = 100
MAX_ANNOTATION_KEY = 253
MAX_ANNOTATION_VALUE = 64 * 1024
DIGEST_PREFIX = re.compile(r"^(sha256:)?[a-f0-9]{1,64}$")


class InputSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo (`scheduld`) is an error
    instead of a silently ignored option."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                known = ", ".join(sorted(self.fields)) or "none"
                raise serializers.ValidationError(
                    {name: [f"unknown field (known fields: {known})"] for name in unknown}
                )
        return super().to_internal_value(data)


def parse(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def query(serializer_class: type[serializers.Serializer], params: Mapping) -> dict[str, Any]:
    """Query parameters: unknown ones are left to DRF (`page`, `format`)."""
    known = {name: params[name] for name in serializer_class().fields if name in params}
    return parse(serializer_class, known)


class AnnotationsField(serializers.DictField):
    """`{"key": "value"}` with string keys and values of bounded size."""

    child = serializers.CharField(allow_blank=True, max_length=MAX_ANNOTATION_VALUE)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        value = super().to_internal_value(data)
        if len(value) > MAX_ANNOTATIONS:
            raise serializers.ValidationError(f"at most {MAX_ANNOTATIONS} annotations")
        for key in value:
            if not key or len(key) > MAX_ANNOTATION_KEY or "\x00" in key:
                raise serializers.ValidationError(
                    f"annotation keys are 1 to {MAX_ANNOTATION_KEY} characters (got {key[:40]!r})"
                )
        return value


def parse_istag(text: str) -> tuple[str, str]:
    """`stream:tag` from a URL."""
    stream, sep, tag = text.rpartition(":")
    if not sep or not stream or not tag:
        raise InvalidInput(f'"{text}" must be of the form <stream>:<tag>', field="istag")
    _validate_stream(stream, "istag")
    try:
        validate_tag_name(tag)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="istag") from None
    return stream, tag


def parse_isimage(text: str) -> tuple[str, str]:
    """`stream@digest` from a URL; the digest may be a prefix, `sha256:` optional."""
    stream, sep, digest = text.partition("@")
    if not sep or not stream or not digest:
        raise InvalidInput(f'"{text}" must be of the form <stream>@<digest>', field="isimage")
    _validate_stream(stream, "isimage")
    if not DIGEST_PREFIX.match(digest):
        raise InvalidInput(
            f'"{digest}" is not a digest or a digest prefix (sha256:<hex>, "sha256:" optional)',
            field="isimage",
        )
    return stream, digest


def _validate_stream(name: str, field: str) -> None:
    try:
        stream_name_validator(name)
    except DjangoValidationError as exc:
        raise InvalidInput(
            f'invalid image stream name "{name}": {exc.messages[0]}', field=field
        ) from None
