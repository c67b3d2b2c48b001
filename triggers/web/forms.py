"""Forms of the trigger pages: they parse input only; the triggers service
validates the domain rules."""

from __future__ import annotations

import yaml
from django import forms

from imagestreams.web.forms import ServiceErrorsMixin
from triggers.gitops.ssh import MAX_KEY, MAX_KNOWN_HOSTS
from triggers.models import Preset, Trigger


class SecretTextarea(forms.Textarea):
    """A textarea that never renders a value: a private key typed in is not
    sent back in the page, not even when the form has an error."""

    def format_value(self, value: object) -> None:
        return None


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
        "https:// URL, or its SSH URL: ssh://git@host/path or git@host:path); GitHub and "
        "GitLab URLs are built from the options below unless given.",
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
    ssh_key = forms.CharField(
        label="SSH deploy key",
        max_length=MAX_KEY,
        required=False,
        strip=False,
        help_text="Git write-back to an SSH URL: the private key (-----BEGIN OPENSSH PRIVATE "
        "KEY-----, no passphrase) of a deploy key allowed to push; stored encrypted, never "
        "shown again.",
        widget=SecretTextarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
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
    git_known_hosts = forms.CharField(
        label="SSH host key",
        max_length=MAX_KNOWN_HOSTS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "mono"}),
        help_text="Required with an SSH URL: the Git server's host key, as known_hosts lines "
        "(ssh-keyscan -p PORT HOST, checked against the server's own) or its public key "
        "(ssh-ed25519 AAAA…). Never learnt on first use: that first answer could be an "
        "impostor's.",
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

    # form field -> option of the trigger, per preset
    OPTION_FIELDS: dict[str, dict[str, str]] = {
        Preset.GITHUB: {"repository": "repository", "event_type": "event_type"},
        Preset.GITLAB: {"gitlab_project": "project", "ref": "ref"},
        Preset.GIT: {
            "git_branch": "branch",
            "git_push_branch": "push_branch",
            "git_username": "username",
            "git_known_hosts": "known_hosts",
            "git_author_name": "author_name",
            "git_author_email": "author_email",
            "git_message": "message",
        },
    }

    def options(self) -> dict:
        """The preset's options, from the fields that belong to it."""
        data = self.cleaned_data
        fields = self.OPTION_FIELDS.get(data["preset"], {})
        options: dict = {option: data[field].strip() for field, option in fields.items()}
        options = {key: value for key, value in options.items() if value}
        if data["preset"] == Preset.GIT:
            options["updates"] = data["git_updates"] or []
        return options


class TriggerEditForm(TriggerForm):
    """The same fields but the name; an empty secret, token or deploy key keeps the stored one."""

    clear_secret = forms.BooleanField(required=False, label="Remove the secret")
    clear_token = forms.BooleanField(required=False, label="Remove the token")

    def __init__(self, *args, trigger: Trigger, **kwargs) -> None:
        kwargs.setdefault("initial", self.initial_for(trigger))
        super().__init__(*args, **kwargs)
        del self.fields["name"]
        keep = "Empty: keep the current one (stored encrypted, never shown)."
        self.fields["secret"].help_text = keep if trigger.secret_encrypted else ""
        self.fields["token"].help_text = keep if trigger.token_encrypted else ""
        if trigger.ssh_key_encrypted:
            self.fields["ssh_key"].help_text = keep
        if not trigger.secret_encrypted:
            del self.fields["clear_secret"]
        if not trigger.token_encrypted:
            del self.fields["clear_token"]

    @classmethod
    def initial_for(cls, trigger: Trigger) -> dict[str, str]:
        initial = {
            "stream": trigger.stream,
            "tag": trigger.tag,
            "preset": trigger.preset,
            "url": trigger.url,
        }
        for field, option in cls.OPTION_FIELDS.get(trigger.preset, {}).items():
            value = trigger.options.get(option, "")
            initial[field] = value if isinstance(value, str) else ""
        if trigger.preset == Preset.GIT and trigger.options.get("updates"):
            initial["git_updates"] = yaml.safe_dump(trigger.options["updates"], sort_keys=False)
        return initial

    def changes(self, trigger: Trigger) -> dict:
        """The keyword arguments of trigger_update for what this form changes.

        Options the form has no field for (GitLab variables, an API base URL)
        are kept; a GitHub or GitLab URL that was built from the options is
        built again when they change, unless a new URL is given."""
        data = self.cleaned_data
        preset = data["preset"]
        managed = set(self.OPTION_FIELDS.get(preset, {}).values())
        if preset == Preset.GIT:
            managed.add("updates")
        kept = {} if preset != trigger.preset else trigger.options
        options = {k: v for k, v in kept.items() if k not in managed} | self.options()
        url = data["url"].strip()
        derived = preset in (Preset.GITHUB, Preset.GITLAB)  # a Git URL is always given
        if derived and url == trigger.url and options != trigger.options:
            url = ""  # rebuilt from the new options
        changes = {
            "stream": data["stream"].strip(),
            "tag": data["tag"].strip(),
            "preset": preset,
            "url": url,
            "options": options,
        }
        if data["secret"] or data.get("clear_secret"):
            changes["secret"] = "" if data.get("clear_secret") else data["secret"]
        if data["token"] or data.get("clear_token"):
            changes["token"] = "" if data.get("clear_token") else data["token"]
        if data["ssh_key"].strip():
            changes["ssh_key"] = data["ssh_key"]
        return changes
