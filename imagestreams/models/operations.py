"""The operator's image configuration, and the counters behind /metrics."""

from __future__ import annotations

from django.db import models

SINGLETON_ID = 1


class OperatorSettings(models.Model):
    """The one row of the operator's image configuration, edited in the Django
    admin: what OpenShift keeps in its cluster image configuration
    (image.config.openshift.io/cluster). Every other setting comes from the
    environment (README, Configuration). Read through
    imagestreams.image_config, never directly.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    allowed_registries_for_import = models.TextField(
        blank=True,
        help_text=(
            "One registry per line, as OpenShift's allowedRegistriesForImport: host or "
            "host:port with * and ? wildcards (*.example.com, registry.local:*); a host "
            'without port means port 443, or 80 when followed by " insecure". '
            "*:* allows every registry; empty: any registry."
        ),
    )
    insecure_registries = models.TextField(
        blank=True,
        help_text="Registries reached over plain HTTP or without TLS verification, one "
        "host[:port] per line.",
    )
    blocked_registries = models.TextField(
        blank=True,
        help_text=(
            "Registries nobody may import or tag from, one per line, as OpenShift's "
            "registrySources.blockedRegistries: host or host:port with * and ? wildcards; "
            "a host without port is blocked on every port."
        ),
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
