"""Forms of the team pages: they parse input only; services validate the
domain rules and report errors that are attached to the matching field."""

from __future__ import annotations

from django import forms

from imagestreams.models.streams import ImportMode, ReferencePolicy
from imagestreams.services.errors import ServiceError

REFERENCE_POLICIES = [
    (ReferencePolicy.SOURCE.value, "Source: pull from where the image was imported"),
    (ReferencePolicy.LOCAL.value, "Local: pull through the integrated registry"),
]
IMPORT_MODES = [
    (ImportMode.LEGACY.value, "Legacy: one platform"),
    (ImportMode.PRESERVE_ORIGINAL.value, "PreserveOriginal: every platform of an index"),
]


class ServiceErrorsMixin(forms.BaseForm):
    """Attach a service error to the field it names, if the form has it."""

    field_aliases: dict[str, str] = {}

    def add_service_error(self, error: ServiceError) -> None:
        name = self.field_aliases.get(error.field or "", error.field)
        self.add_error(name if name in self.fields else None, error.message)


class ProjectCreateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        max_length=63,
        help_text="Lowercase letters, digits and '-', e.g. payments.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    display_name = forms.CharField(max_length=200, required=False)


class StreamCreateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        max_length=255,
        help_text="Lowercase, like one component of a repository path, e.g. python.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ImportOptionsMixin(forms.Form):
    scheduled = forms.BooleanField(
        required=False, label="Check upstream periodically and import new images"
    )
    insecure = forms.BooleanField(
        required=False, label="Insecure registry (plain HTTP or unverified TLS)"
    )
    reference_policy = forms.ChoiceField(
        choices=REFERENCE_POLICIES, initial=ReferencePolicy.SOURCE.value
    )
    import_mode = forms.ChoiceField(choices=IMPORT_MODES, initial=ImportMode.LEGACY.value)


class ImportImageForm(ServiceErrorsMixin, ImportOptionsMixin):
    """`isctl import-image NAME:TAG --from=IMAGE --confirm`."""

    field_aliases = {"from": "from_image"}
    field_order = ["target", "from_image"]

    target = forms.CharField(
        label="Stream and tag",
        max_length=1024,
        help_text="NAME:TAG in this project, e.g. python:3.12. The stream is created if needed.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    from_image = forms.CharField(
        label="From image",
        max_length=1024,
        required=False,
        help_text="The image to import, e.g. quay.io/org/python:3.12. "
        "Empty: NAME:TAG itself is the image (Docker Hub).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class TagAddForm(ServiceErrorsMixin, ImportOptionsMixin):
    """`isctl tag SOURCE STREAM:TAG`, with the four kinds of source."""

    KINDS = [
        ("docker", "An external image (imported, optionally on a schedule)"),
        ("istag", "Another tag: a pinned copy of the image it has now"),
        ("alias", "An alias of a tag of this stream: follows it from now on"),
        ("isimage", "An exact image of this stream, by digest or unique prefix"),
    ]
    field_aliases = {"destination": "name", "destinations": "name", "tag": "name"}
    field_order = ["name", "kind", "source"]

    name = forms.CharField(
        label="New tag",
        max_length=128,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(
        label="Tag it from", choices=KINDS, initial="docker", widget=forms.RadioSelect
    )
    source = forms.CharField(
        max_length=1024,
        help_text="quay.io/org/app:1 · app:1 or project/app:1 · 1 (a tag of this stream) · "
        "app@sha256:3f2a",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "list": "stream-tags"}
        ),
    )


class ReferencePolicyForm(forms.Form):
    reference_policy = forms.ChoiceField(choices=REFERENCE_POLICIES)


class ScheduledForm(forms.Form):
    scheduled = forms.BooleanField(required=False)


class RollbackForm(forms.Form):
    to = forms.CharField(max_length=100)


class CompareForm(forms.Form):
    a = forms.IntegerField(label="Older entry", min_value=1)
    b = forms.IntegerField(label="Newer entry", min_value=1)


class CredentialForm(ServiceErrorsMixin, forms.Form):
    registry = forms.CharField(
        max_length=255,
        help_text="Host with its port if not standard, e.g. quay.io or registry.example.com:5000.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        max_length=255, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    password = forms.CharField(
        max_length=4096,
        help_text="Stored encrypted; it is never shown again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
