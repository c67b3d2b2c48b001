"""Service accounts, sharing across projects and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from imagestreams.models.access import Role
from imagestreams.models.projects import Project
from imagestreams.models.streams import ImageStream


class ServiceAccount(models.Model):
    """A non-human member of one project (CI pipelines, deployers), with a
    role and its own tokens."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="service_accounts")
    name = models.CharField(max_length=63)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    description = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_service_account")
        ]

    def __str__(self) -> str:
        return f"{self.project.name}/{self.name}"


class Share(models.Model):
    """Pull (view) access to one stream, or to every stream of a project,
    granted to another project (its members and service accounts) or to one user."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shares_given")
    stream = models.ForeignKey(
        ImageStream,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares",
        help_text="Empty: every stream of the project.",
    )
    target_project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="shares_received"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares_received",
    )
    created_by = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_project__isnull=False, target_user__isnull=True)
                | Q(target_project__isnull=True, target_user__isnull=False),
                name="share_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        what = self.stream.name if self.stream is not None else "*"
        who = self.target_project or self.target_user
        return f"{self.project.name}/{what} → {who}"


class AuditEvent(models.Model):
    """One change: who, what, when, through which interface, before/after."""

    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    project_name = models.CharField(max_length=63, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    interface = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=512, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["project", "-id"], name="audit_project_newest")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"
