"""Triggers, the changes they fire on, their deliveries (an outbox) and the
integrated registry's push events."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from imagestreams import crypto
from imagestreams.models import Project, Tag

trigger_name_validator = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "Trigger names use lowercase letters, digits and '-', start and end with a letter or "
    "digit, and have at most 63 characters.",
)


class Preset(models.TextChoices):
    GENERIC = "generic", "JSON webhook"
    GITHUB = "github", "GitHub repository_dispatch"
    GITLAB = "gitlab", "GitLab pipeline trigger"


class Trigger(models.Model):
    """Watches one tag (or every tag) of a stream and calls a webhook when the
    tag's current image changes.

    Streams and tags are named, not linked: a trigger may be set up before a
    push creates its stream, and survives the stream being re-created.
    `enabled` False with an empty `disabled_reason` means paused by a user;
    with a reason, disabled by us after repeated failures.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="triggers")
    name = models.CharField(max_length=63, validators=[trigger_name_validator])
    stream = models.CharField(max_length=255)
    tag = models.CharField(max_length=128, blank=True, help_text="Empty: every tag.")
    preset = models.CharField(max_length=10, choices=Preset.choices, default=Preset.GENERIC)
    url = models.CharField(max_length=2048)
    options = models.JSONField(default=dict, blank=True)
    secret_encrypted = models.TextField(blank=True, editable=False)
    token_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_trigger_per_project")
        ]
        # Fan-out looks up the enabled triggers of one stream on every change.
        indexes = [models.Index(fields=["project", "stream", "enabled"], name="trigger_watch")]

    def __str__(self) -> str:
        return f"{self.project.name}/{self.name}"

    @property
    def watches(self) -> str:
        return f"{self.stream}:{self.tag}" if self.tag else f"{self.stream}:*"

    @property
    def paused(self) -> bool:
        return not self.enabled and not self.disabled_reason

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret) if secret else ""

    def get_secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    def set_token(self, token: str) -> None:
        self.token_encrypted = crypto.encrypt(token) if token else ""

    def get_token(self) -> str:
        return crypto.decrypt(self.token_encrypted) if self.token_encrypted else ""


class TagChange(models.Model):
    """One move of a tag's current image, written in the same transaction as
    the history change that caused it. Names are copied so that deliveries
    can still be sent after the tag is deleted."""

    tag = models.ForeignKey(Tag, on_delete=models.SET_NULL, null=True, related_name="changes")
    # Per-tag sequence: two writers racing on one tag cannot both commit the
    # change that follows the same state.
    serial = models.PositiveIntegerField()
    project_name = models.CharField(max_length=63)
    stream_name = models.CharField(max_length=255)
    tag_name = models.CharField(max_length=128)
    previous_digest = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=100, blank=True)
    pull_spec = models.CharField(max_length=1024)
    cause = models.CharField(max_length=16)
    actor = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tag", "serial"], name="unique_change_per_tag_serial")
        ]

    def __str__(self) -> str:
        return f"{self.project_name}/{self.stream_name}:{self.tag_name} -> {self.digest}"


class DeliveryKind(models.TextChoices):
    CHANGE = "change"
    TEST = "test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


WAITING_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
FINISHED_STATUSES = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)


class Delivery(models.Model):
    """The notification of one change to one trigger (or a test send).

    `attempts` counts the tries of the current round (a re-send starts a new
    round); DeliveryAttempt keeps every try.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="deliveries")
    change = models.ForeignKey(
        TagChange, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    kind = models.CharField(
        max_length=10, choices=DeliveryKind.choices, default=DeliveryKind.CHANGE
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The outbox's exactly-once rule: one delivery per change and trigger.
            models.UniqueConstraint(
                fields=["trigger", "change"],
                condition=Q(change__isnull=False),
                name="unique_delivery_per_change",
            )
        ]
        # The sweep scans waiting and stuck deliveries by time.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return str(self.uuid)


class AttemptOutcome(models.TextChoices):
    SUCCESS = "success"
    RETRY = "retry"
    FAILURE = "failure"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    request_url = models.CharField(max_length=2048)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the response body.")
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="unique_attempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.outcome}"


class RegistryEventStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    APPLIED = "applied"
    IGNORED = "ignored"
    FAILED = "failed"


class RegistryEventSource(models.TextChoices):
    NOTIFICATION = "notification"
    RECONCILE = "reconcile"


class RegistryEvent(models.Model):
    """A tagged manifest push to the integrated registry, stored on receipt so
    that the registry's re-sends of the same event id are recognised."""

    event_id = models.CharField(max_length=200, unique=True)
    source = models.CharField(
        max_length=12, choices=RegistryEventSource.choices, default=RegistryEventSource.NOTIFICATION
    )
    repository = models.CharField(max_length=255)
    tag = models.CharField(max_length=128)
    digest = models.CharField(max_length=100)
    media_type = models.CharField(max_length=100)
    actor = models.CharField(max_length=150, blank=True)
    # When the registry saw the push; orders pushes of one tag.
    timestamp = models.DateTimeField()
    received = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=RegistryEventStatus.choices, default=RegistryEventStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # "Was a newer push of this tag applied?" and reconciliation.
            models.Index(fields=["repository", "tag", "status"], name="registryevent_tag"),
            models.Index(fields=["status", "received"], name="registryevent_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}@{self.digest}"
