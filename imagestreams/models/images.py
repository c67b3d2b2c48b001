from __future__ import annotations

from django.db import models


class Image(models.Model):
    """An immutable image, keyed by its manifest digest.

    Images are shared by every stream that references them (OpenShift's
    cluster-scoped Image); only metadata is stored, never layers.
    """

    digest = models.CharField(max_length=100, unique=True)
    media_type = models.CharField(max_length=100)
    manifest = models.TextField(help_text="Raw manifest JSON as served by the registry.")
    config_raw = models.TextField(blank=True)
    docker_image_reference = models.CharField(
        max_length=1024, help_text="Pull spec by digest where the image was first seen."
    )
    architecture = models.CharField(max_length=32, blank=True)
    os = models.CharField(max_length=32, blank=True)
    variant = models.CharField(max_length=32, blank=True)
    image_created = models.DateTimeField(null=True, blank=True)
    author = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    env = models.JSONField(default=list, blank=True)
    cmd = models.JSONField(default=list, blank=True)
    entrypoint = models.JSONField(default=list, blank=True)
    exposed_ports = models.JSONField(default=list, blank=True)
    user = models.CharField(max_length=255, blank=True)
    working_dir = models.CharField(max_length=1024, blank=True)
    volumes = models.JSONField(default=list, blank=True)
    layers = models.JSONField(
        default=list, blank=True, help_text="Base to top: digest, size and media type."
    )
    size = models.BigIntegerField(default=0, help_text="Config plus unique layer sizes.")
    managed = models.BooleanField(
        default=False, help_text="Pushed to the integrated registry (prunable there)."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.digest

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES

    @property
    def short_digest(self) -> str:
        return self.digest.split(":", 1)[-1][:12]

    @property
    def platform(self) -> str:
        parts = [self.os, self.architecture, self.variant]
        return "/".join(p for p in parts if p)


INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


class ImageManifest(models.Model):
    """One platform entry of a manifest list / OCI index (PreserveOriginal)."""

    parent = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="manifests")
    child = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="parents")
    position = models.PositiveIntegerField()
    media_type = models.CharField(max_length=100)
    size = models.BigIntegerField(default=0)
    architecture = models.CharField(max_length=32, blank=True)
    os = models.CharField(max_length=32, blank=True)
    variant = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["parent", "position"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "position"], name="unique_manifest_position")
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.child_id}"

    @property
    def platform(self) -> str:
        parts = [self.os, self.architecture, self.variant]
        return "/".join(p for p in parts if p)
