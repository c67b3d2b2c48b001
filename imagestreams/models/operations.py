"""What operators change at run time, and the counters behind /metrics."""

from __future__ import annotations

from django.db import models

from imagestreams.models.streams import ImportMode

SINGLETON_ID = 1


class OperatorSettings(models.Model):
    """The one row of run-time operator settings, edited in the Django admin.

    Every field left empty means "the environment's value" (README,
    Configuration), so a fresh installation behaves exactly as configured and
    an operator overrides only what needs to change. Read through
    imagestreams.policy, never directly: values are cached briefly per process.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    allowed_registries_for_import = models.TextField(
        blank=True,
        help_text=(
            "One registry per line, as OpenShift's allowedRegistriesForImport: host or "
            "host:port with * and ? wildcards (*.example.com, registry.local:*); a host "
            'without port means port 443, or 80 when followed by " insecure". '
            "*:* allows every registry."
        ),
    )
    insecure_registries = models.TextField(
        blank=True,
        help_text="Registries reached over plain HTTP or without TLS verification, one "
        "host[:port] per line.",
    )
    scheduled_interval = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds between two checks of a scheduled tag."
    )
    scheduled_minimum_interval = models.PositiveIntegerField(
        null=True, blank=True, help_text="The interval is never shorter than this (seconds)."
    )
    registry_max_concurrency = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests in flight to one registry, per worker process."
    )
    registry_requests_per_second = models.FloatField(
        null=True, blank=True, help_text="Requests per second to one registry."
    )
    registry_timeout = models.FloatField(
        null=True, blank=True, help_text="Seconds before a registry request times out."
    )
    max_images_bulk_imported = models.IntegerField(
        null=True, blank=True, help_text="Tags imported by import-image --all (-1: no limit)."
    )
    default_import_mode = models.CharField(
        max_length=20, blank=True, choices=ImportMode.choices, help_text="Import mode of new tags."
    )
    import_private_addresses = models.BooleanField(
        null=True,
        blank=True,
        help_text="May imports reach loopback, private and link-local addresses?",
    )
    webhook_private_addresses = models.BooleanField(
        null=True,
        blank=True,
        help_text="May trigger webhooks reach loopback, private and link-local addresses?",
    )
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = "operator settings"
        verbose_name_plural = "operator settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=SINGLETON_ID), name="operator_settings_singleton"
            )
        ]

    def __str__(self) -> str:
        return "Operator settings"
