"""Output shapes of the triggers API (secrets are never part of them)."""

from __future__ import annotations

from rest_framework import serializers

from imagestreams.models import TagChange
from triggers.models import Delivery, DeliveryAttempt, Trigger


class TriggerSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.name")
    has_secret = serializers.SerializerMethodField()
    has_token = serializers.SerializerMethodField()
    has_ssh_key = serializers.SerializerMethodField()
    paused = serializers.BooleanField()

    class Meta:
        model = Trigger
        fields = [
            "name",
            "project",
            "stream",
            "tag",
            "preset",
            "url",
            "options",
            "has_secret",
            "has_token",
            "has_ssh_key",
            "enabled",
            "paused",
            "disabled_reason",
            "consecutive_failures",
            "last_delivery_at",
            "last_response_status",
            "last_error",
            "created",
            "updated",
        ]

    def get_has_secret(self, trigger: Trigger) -> bool:
        return bool(trigger.secret_encrypted)

    def get_has_token(self, trigger: Trigger) -> bool:
        return bool(trigger.token_encrypted)

    def get_has_ssh_key(self, trigger: Trigger) -> bool:
        return bool(trigger.ssh_key_encrypted)


class ChangeSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project_name")
    stream = serializers.CharField(source="stream_name")
    tag = serializers.CharField(source="tag_name")

    class Meta:
        model = TagChange
        fields = [
            "project",
            "stream",
            "tag",
            "previous_digest",
            "digest",
            "pull_spec",
            "cause",
            "actor",
            "created",
        ]


class AttemptSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="request_url")

    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "started",
            "duration_ms",
            "url",
            "response_status",
            "response_body",
            "error",
            "commit",
            "diff",
            "outcome",
            "retry_at",
        ]


class DeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid")
    trigger = serializers.CharField(source="trigger.name")
    change = ChangeSerializer(allow_null=True)
    attempt_log = AttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "trigger",
            "kind",
            "status",
            "attempts",
            "next_attempt_at",
            "response_status",
            "error",
            "created",
            "finished",
            "change",
            "attempt_log",
        ]
