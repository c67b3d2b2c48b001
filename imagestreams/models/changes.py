"""The change feed: one row per move of a tag's current image. Consumers
(the triggers app) read it; the core never knows who they are."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from imagestreams.models.streams import Tag


class TagChange(models.Model):
    """One move of a tag's current image, written in the same transaction as
    the history change that caused it. Names are copied so that consumers can
    still act on it after the tag is deleted.

    `fanned_out_at` is set by the consumer once it has turned the change into
    its own work (triggers: deliveries), so that a sweep can find changes whose
    after-commit notification was lost.
    """

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
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tag", "serial"], name="unique_change_per_tag_serial")
        ]
        # The sweep looks only at the few changes not fanned out yet.
        indexes = [
            models.Index(
                fields=["created"],
                condition=Q(fanned_out_at__isnull=True),
                name="tagchange_not_fanned_out",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_name}/{self.stream_name}:{self.tag_name} -> {self.digest}"
