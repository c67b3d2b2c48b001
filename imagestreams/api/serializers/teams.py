"""Members, service accounts and their tokens, shares, the audit log, and
streams seen through shares (docs/api.md "Teams")."""

from __future__ import annotations

from rest_framework import serializers

from imagestreams.api.serializers.streams import ImageStreamSerializer
from imagestreams.models import Share


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()
    created = serializers.DateTimeField()


class ServiceAccountSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    description = serializers.CharField()
    username = serializers.SerializerMethodField(
        help_text="How it appears in history entries and the audit log."
    )
    created = serializers.DateTimeField()

    def get_username(self, account) -> str:
        return f"serviceaccount:{account.project.name}:{account.name}"


class ServiceAccountTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(source="key_prefix", help_text="The token's first characters.")
    created = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class ServiceAccountTokenCreatedSerializer(ServiceAccountTokenSerializer):
    token = serializers.CharField(help_text="The secret; shown only in this response.")


class ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stream = serializers.SerializerMethodField(help_text="null: every stream of the project.")
    target_project = serializers.SerializerMethodField()
    target_user = serializers.SerializerMethodField()
    created_by = serializers.CharField()
    created = serializers.DateTimeField()

    def get_stream(self, share: Share) -> str | None:
        return share.stream.name if share.stream is not None else None

    def get_target_project(self, share: Share) -> str | None:
        return share.target_project.name if share.target_project is not None else None

    def get_target_user(self, share: Share) -> str | None:
        return share.target_user.get_username() if share.target_user is not None else None


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created = serializers.DateTimeField()
    actor = serializers.CharField()
    interface = serializers.CharField(
        help_text="web, api, api (isctl) (an API call whose User-Agent names isctl), admin, "
        "task, command or registry; cli in entries written before api (isctl)."
    )
    action = serializers.CharField()
    target = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class SharedImageStreamSerializer(ImageStreamSerializer):
    """A stream of another project seen through a share: pull access only."""

    # DRF's metaclass moves declared fields off the class, so this does not
    # replace Field.read_only; the stubs see a clash.
    read_only = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="Always true: a share gives view (pull) access, never edit."
    )

    def get_read_only(self, stream) -> bool:
        return True
