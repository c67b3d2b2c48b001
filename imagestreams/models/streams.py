from __future__ import annotations

from datetime import UTC

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from imagestreams.integrated_registry import integrated_registry_pull_host
from imagestreams.models.images import Image
from imagestreams.models.projects import Project
from imagestreams.registry.reference import TAG_NAME

stream_name_validator = RegexValidator(
    r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$",
    "Image stream names are lowercase letters and digits, separated by single '.', '_' or "
    "'-' (like one component of a repository path).",
)
tag_name_validator = RegexValidator(
    rf"\A{TAG_NAME.pattern}\Z",
    "Tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' "
    "characters, and have a maximum of 128 characters.",
)


REPOSITORY_CHECK_ANNOTATION = "openshift.io/image.dockerRepositoryCheck"


def repository_of(project: str, stream: str) -> str:
    """Pull repository of a stream in the integrated registry, or ''."""
    host = integrated_registry_pull_host()
    return f"{host}/{project}/{stream}" if host else ""


class ImageStream(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="streams")
    name = models.CharField(max_length=255, validators=[stream_name_validator])
    lookup_local = models.BooleanField(default=False)
    annotations = models.JSONField(default=dict, blank=True)
    spec_repository = models.CharField(
        max_length=1024,
        blank=True,
        help_text="Remote repository imported as a whole (OpenShift dockerImageRepository).",
    )
    generation = models.BigIntegerField(default=1)
    repository_checked_at = models.DateTimeField(
        null=True, blank=True, help_text="Last import that changed the stream."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_stream_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.project.name}/{self.name}"

    @property
    def repository(self) -> str:
        """Pull repository of this stream in the integrated registry, or ''."""
        return repository_of(self.project.name, self.name)

    @property
    def shown_annotations(self) -> dict[str, str]:
        """The annotations, with the time of the last import that wrote the
        stream where OpenShift keeps it (`openshift.io/image.dockerRepositoryCheck`)."""
        if self.repository_checked_at is None:
            return self.annotations
        checked = self.repository_checked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {**self.annotations, REPOSITORY_CHECK_ANNOTATION: checked}

    @property
    def insecure(self) -> bool:
        return self.annotations.get("openshift.io/image.insecureRepository") == "true"


class SourceKind(models.TextChoices):
    NONE = "", "none"
    DOCKER_IMAGE = "DockerImage"
    IMAGE_STREAM_TAG = "ImageStreamTag"
    IMAGE_STREAM_IMAGE = "ImageStreamImage"


class ImportMode(models.TextChoices):
    LEGACY = "Legacy"
    PRESERVE_ORIGINAL = "PreserveOriginal"


class ReferencePolicy(models.TextChoices):
    SOURCE = "Source"
    LOCAL = "Local"


class Tag(models.Model):
    """A tag of a stream: its spec (where it comes from, how it updates) and
    its status (the history in TagEvent and the last import condition).

    A tag that only received pushes has no spec (``has_spec`` False).
    """

    stream = models.ForeignKey(ImageStream, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=128, validators=[tag_name_validator])
    has_spec = models.BooleanField(default=True)
    from_kind = models.CharField(max_length=20, choices=SourceKind.choices, blank=True)
    from_name = models.CharField(max_length=1024, blank=True)
    from_namespace = models.CharField(max_length=63, blank=True)
    reference = models.BooleanField(
        default=False, help_text="Do not import; point at the source as it is."
    )
    scheduled = models.BooleanField(default=False)
    insecure = models.BooleanField(default=False)
    import_mode = models.CharField(
        max_length=20, choices=ImportMode.choices, default=ImportMode.LEGACY
    )
    reference_policy = models.CharField(
        max_length=10, choices=ReferencePolicy.choices, default=ReferencePolicy.SOURCE
    )
    annotations = models.JSONField(default=dict, blank=True)
    generation = models.BigIntegerField(default=0)
    # The ImportSuccess=False condition of the last failed import, if any.
    condition_reason = models.CharField(max_length=64, blank=True)
    condition_message = models.TextField(blank=True)
    condition_generation = models.BigIntegerField(default=0)
    condition_time = models.DateTimeField(null=True, blank=True)
    # Digest the upstream tag had at the last successful import: an unchanged
    # HEAD needs no GET and writes no history.
    upstream_digest = models.CharField(max_length=100, blank=True)
    # Who asked for the pending import, and through which interface: the task
    # that carries it out acts for them in history and audit.
    import_requested_by = models.CharField(max_length=150, blank=True)
    import_requested_via = models.CharField(max_length=16, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # Scheduled checks (imagestreams.scheduling). The sweep enrols a scheduled
    # tag by copying its source into scheduled_source (and the parsed registry
    # and repository, which the claim and the inbound webhooks filter on); a
    # changed from_name is therefore noticed and re-enrolled.
    next_check_at = models.DateTimeField(null=True, blank=True)
    check_claim = models.CharField(max_length=32, blank=True)
    check_failures = models.PositiveIntegerField(default=0)
    scheduled_source = models.CharField(max_length=1024, blank=True)
    source_registry = models.CharField(max_length=255, blank=True)
    source_repository = models.CharField(max_length=1024, blank=True)
    # Follow "the highest upstream tag matching a rule" (scheduling.policies);
    # {} = follow from_name as it is. policy_tag is the upstream tag chosen last.
    policy = models.JSONField(default=dict, blank=True)
    policy_tag = models.CharField(max_length=128, blank=True)
    # The spec a rollback or an exact image replaced, while it could still be
    # followed ({}: not pinned); "follow upstream again" (services.pinning) restores it.
    pinned_from = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stream", "name"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "name"], name="unique_tag_per_stream")
        ]
        indexes = [
            # The sweep's claim: due scheduled tags of one registry, oldest first.
            models.Index(
                fields=["source_registry", "next_check_at"],
                name="tag_scheduled_due",
                condition=models.Q(scheduled=True),
            ),
            # Inbound registry webhooks: scheduled tags of one repository.
            models.Index(
                fields=["source_registry", "source_repository"],
                name="tag_scheduled_repository",
                condition=models.Q(scheduled=True),
            ),
        ]

    # What `oc tag` and `import-image` write: the spec, under the stream lock. The
    # sweep writes its own columns (check_claim, next_check_at, ...) without that
    # lock, so spec writes name their fields and never save the whole row.
    SPEC_FIELDS = (
        "has_spec",
        "from_kind",
        "from_name",
        "from_namespace",
        "reference",
        "scheduled",
        "insecure",
        "import_mode",
        "reference_policy",
        "generation",
        "upstream_digest",
        "policy",
        "policy_tag",
        "pinned_from",
        "updated",
    )

    def __str__(self) -> str:
        return f"{self.stream.name}:{self.name}"

    @property
    def has_condition(self) -> bool:
        return bool(self.condition_reason)

    @property
    def is_importable(self) -> bool:
        return self.from_kind == SourceKind.DOCKER_IMAGE and not self.reference

    @property
    def follows_something(self) -> bool:
        """An upstream tag (not a digest) or another tag (an alias): it can move."""
        if not self.has_spec or self.reference:
            return False
        if self.from_kind == SourceKind.IMAGE_STREAM_TAG:
            return True
        return self.from_kind == SourceKind.DOCKER_IMAGE and "@" not in self.from_name

    def note_new_spec(self, *, pinned: bool) -> None:
        """Call before the spec is replaced: a pin keeps what the tag followed
        (the first pin's, if pinned already), anything else forgets it."""
        if not pinned:
            self.pinned_from = {}
        elif not self.pinned_from and self.follows_something:
            self.pinned_from = {
                "kind": self.from_kind,
                "name": self.from_name,
                "namespace": self.from_namespace,
                "scheduled": self.scheduled,
                "insecure": self.insecure,
                "import_mode": self.import_mode,
                "reference_policy": self.reference_policy,
                "policy": self.policy,
                "policy_tag": self.policy_tag,
            }

    def observed_generation(self, head: TagEvent | None) -> int:
        return self._observed(head.generation if head else 0)

    def _observed(self, head_generation: int) -> int:
        condition_generation = self.condition_generation if self.has_condition else 0
        return max(head_generation, condition_generation)

    def import_pending(self, head: TagEvent | None) -> bool:
        return self.import_pending_after(head.generation if head else 0)

    def import_pending_after(self, head_generation: int) -> bool:
        """`import_pending` given only the generation of the newest entry (0: none)."""
        return self.is_importable and self.generation > self._observed(head_generation)


class ImportStatus(models.TextChoices):
    """How importing one tag went, as the API reports it (not stored)."""

    SUCCESS = "Success"  # a new image, recorded in the tag's history
    UNCHANGED = "Unchanged"
    FAILURE = "Failure"  # the reason is in the tag's condition


class EventCause(models.TextChoices):
    IMPORT = "import"
    SCHEDULED = "scheduled"
    PUSH = "push"
    TAG = "tag"
    ALIAS = "alias"
    ROLLBACK = "rollback"
    REFERENCE = "reference"


class TagEvent(models.Model):
    """One entry of a tag's history; the newest (highest id) is current."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="events")
    created = models.DateTimeField(default=timezone.now)
    docker_image_reference = models.CharField(max_length=1024)
    image = models.ForeignKey(
        Image, on_delete=models.PROTECT, null=True, blank=True, related_name="tag_events"
    )
    generation = models.BigIntegerField()
    cause = models.CharField(max_length=16, choices=EventCause.choices)
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tag", "-id"], name="tagevent_tag_newest")]

    def __str__(self) -> str:
        return self.docker_image_reference

    @property
    def digest(self) -> str:
        return self.image.digest if self.image is not None else ""
