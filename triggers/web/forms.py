"""Forms of the trigger pages: they parse input only; the triggers service
validates the domain rules."""

from __future__ import annotations

import yaml
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
        help_text="Required for a JSON webhook, and for a Git write-back (the repository's "
        "https:// URL); GitHub and GitLab URLs are built from the options below unless given.",
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
        help_text="GitHub token, GitLab pipeline trigger token, or a token allowed to push "
        "(Git write-back); stored encrypted.",
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

    git_branch = forms.CharField(
        label="Branch to read", max_length=200, required=False, help_text="Default: main."
    )
    git_push_branch = forms.CharField(
        label="Branch to push",
        max_length=200,
        required=False,
        help_text="Default: the branch read; another one to review the commits first.",
    )
    git_username = forms.CharField(
        label="HTTPS user name",
        max_length=255,
        required=False,
        help_text="Sent with the token; default x-access-token (GitHub, Gitea; GitLab takes any).",
    )
    git_author_name = forms.CharField(label="Commit author", max_length=100, required=False)
    git_author_email = forms.CharField(label="Author e-mail", max_length=255, required=False)
    git_message = forms.CharField(
        label="Commit message",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="Fields: {project} {stream} {tag} {digest} {previous_digest} {pull_spec} "
        "{cause} {actor} {trigger} {delivery_id}. Empty: the default message.",
    )
    git_updates = forms.CharField(
        label="Updates (YAML list)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "mono"}),
        help_text="e.g. - {file: overlays/prod/kustomization.yaml, type: kustomize, name: app}; "
        "types: kustomize (name), field (path), helm (repository, digest), marker.",
    )

    def clean_git_updates(self) -> list | None:
        text = self.cleaned_data["git_updates"].strip()
        if not text:
            return None
        try:
            updates = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise forms.ValidationError(f"not valid YAML: {exc}") from None
        if not isinstance(updates, list):
            raise forms.ValidationError("a YAML list of updates, one '- file: …' per update")
        return updates

    def git_options(self) -> dict:
        data = self.cleaned_data
        fields: dict = {
            name: data[f"git_{name}"].strip()
            for name in ("branch", "push_branch", "username", "author_name", "author_email")
            if data[f"git_{name}"].strip()
        }
        if data["git_message"].strip():
            fields["message"] = data["git_message"]
        fields["updates"] = data["git_updates"] or []
        return fields

    def options(self) -> dict:
        """The preset's options, from the fields that belong to it."""
        data = self.cleaned_data
        if data["preset"] == Preset.GIT:
            return self.git_options()
        if data["preset"] == Preset.GITHUB:
            fields = {"repository": data["repository"], "event_type": data["event_type"]}
        elif data["preset"] == Preset.GITLAB:
            fields = {"project": data["gitlab_project"], "ref": data["ref"]}
        else:
            fields = {}
        return {key: value.strip() for key, value in fields.items() if value.strip()}
