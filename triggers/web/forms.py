"""Forms of the trigger pages: they parse input only; the triggers service
validates the domain rules."""

from __future__ import annotations

from django import forms

from imagestreams.web.forms import ServiceErrorsMixin
from triggers.models import Preset


class TriggerForm(ServiceErrorsMixin, forms.Form):
    """A webhook called when a watched tag's current image changes."""

    name = forms.CharField(
        max_length=63,
        help_text="Lowercase letters, digits and '-', e.g. deploy-staging.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    stream = forms.CharField(
        label="Image stream",
        max_length=255,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "list": "project-streams"}
        ),
    )
    tag = forms.CharField(
        max_length=128, required=False, help_text="Empty: fire for every tag of the stream."
    )
    preset = forms.ChoiceField(label="Call", choices=Preset.choices, initial=Preset.GENERIC)
    url = forms.CharField(
        label="URL",
        max_length=2048,
        required=False,
        help_text="Required for a JSON webhook; GitHub and GitLab URLs are built from the "
        "options below unless given.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        max_length=1024,
        required=False,
        help_text="Signs each JSON webhook (HMAC-SHA256); stored encrypted, never shown again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    token = forms.CharField(
        max_length=1024,
        required=False,
        help_text="GitHub token or GitLab pipeline trigger token; stored encrypted.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    repository = forms.CharField(
        label="GitHub repository", max_length=255, required=False, help_text="owner/name"
    )
    event_type = forms.CharField(label="GitHub event type", max_length=100, required=False)
    gitlab_project = forms.CharField(
        label="GitLab project", max_length=255, required=False, help_text="group/project or its id"
    )
    ref = forms.CharField(label="GitLab ref", max_length=255, required=False, help_text="e.g. main")

    def options(self) -> dict[str, str]:
        """The preset's options, from the fields that belong to it."""
        data = self.cleaned_data
        if data["preset"] == Preset.GITHUB:
            fields = {"repository": data["repository"], "event_type": data["event_type"]}
        elif data["preset"] == Preset.GITLAB:
            fields = {"project": data["gitlab_project"], "ref": data["ref"]}
        else:
            fields = {}
        return {key: value.strip() for key, value in fields.items() if value.strip()}
