"""Pushes to the integrated registry, as its notifications announce them:
one of the ways images enter the core (imagestreams.services.registry_events)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
