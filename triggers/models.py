"""Triggers and their deliveries: an outbox filled from the core's change
feed (imagestreams.models.TagChange)."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from imagestreams import crypto
from imagestreams.models import Project, TagChange

trigger_name_validator = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "Trigger names use lowercase letters, digits and '-', start and end with a letter or "
    "digit, and have at most 63 characters.",
)


class Preset(models.TextChoices):
    GENERIC = "generic", "JSON webhook"
    GITHUB = "github", "GitHub repository_dispatch"
    GITLAB = "gitlab", "GitLab pipeline trigger"
    GIT = "git", "Git write-back"


class Trigger(models.Model):
    """Watches one tag (or every tag) of a stream and calls a webhook (or, with
    the git preset, writes the image into a Git repository) when the tag's
    current image changes.

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
    # A Git write-back's deploy key (SSH URLs), OpenSSH format.
    ssh_key_encrypted = models.TextField(blank=True, editable=False)
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

    def set_ssh_key(self, key: str) -> None:
        self.ssh_key_encrypted = crypto.encrypt(key) if key else ""

    def get_ssh_key(self) -> str:
        return crypto.decrypt(self.ssh_key_encrypted) if self.ssh_key_encrypted else ""


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
        verbose_name_plural = "deliveries"
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
    # Git write-back: the commit pushed (empty when nothing was committed) and its diff.
    commit = models.CharField(max_length=64, blank=True)
    diff = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="unique_attempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.outcome}"
