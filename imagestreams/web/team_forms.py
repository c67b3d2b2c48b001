"""Forms of the team pages (members, service accounts, sharing, audit log):
they parse input only; the teams services check the rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import cast

from django import forms
from django.utils import timezone

from imagestreams.models import Role
from imagestreams.selectors.audit import INTERFACES, AuditFilters
from imagestreams.services.tokens import MAX_TOKEN_DAYS
from imagestreams.web.forms import ServiceErrorsMixin

ROLES = [
    (Role.VIEWER.value, "viewer: see, describe, resolve, pull"),
    (Role.EDITOR.value, "editor: + import, tag, roll back, push, triggers"),
    (Role.ADMIN.value, "admin: + members, sharing, credentials, audit log"),
]
PLAIN = {"autocomplete": "off", "spellcheck": "false"}


class MemberAddForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs=PLAIN))
    role = forms.ChoiceField(choices=ROLES, initial=Role.VIEWER.value)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ServiceAccountForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        max_length=63,
        help_text="Lowercase letters, digits and '-', e.g. ci-deployer.",
        widget=forms.TextInput(attrs=PLAIN),
    )
    role = forms.ChoiceField(choices=ROLES, initial=Role.VIEWER.value)
    description = forms.CharField(max_length=200, required=False)


class TokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="Where it is used, e.g. the pipeline's name.",
        widget=forms.TextInput(attrs=PLAIN),
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        help_text="Empty: never expires (revoke it when it is no longer used).",
    )


class ShareForm(ServiceErrorsMixin, forms.Form):
    TARGETS = [
        ("project", "Another project: its members and service accounts"),
        ("user", "One user"),
    ]
    field_aliases = {"target_project": "target", "target_user": "target"}

    target_kind = forms.ChoiceField(
        label="Share with", choices=TARGETS, initial="project", widget=forms.RadioSelect
    )
    target = forms.CharField(
        label="Project or username", max_length=150, widget=forms.TextInput(attrs=PLAIN)
    )
    stream = forms.ChoiceField(label="Image streams", required=False)

    def __init__(self, *args, stream_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Every stream of this project, present and future")]
        cast(forms.ChoiceField, self.fields["stream"]).choices = choices + [
            (name, name) for name in stream_names
        ]


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={**PLAIN, "placeholder": "Action: tag.set, or tag"}),
    )
    actor = forms.CharField(
        label="Who",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={**PLAIN, "placeholder": "Who: username"}),
    )
    interface = forms.ChoiceField(
        label="Via",
        choices=[("", "Any interface"), *((name, name) for name in INTERFACES)],
        required=False,
    )
    target = forms.CharField(
        max_length=512,
        required=False,
        widget=forms.TextInput(attrs={**PLAIN, "placeholder": "Target contains…"}),
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> AuditFilters:
        """The filters of a valid form; days are whole days in the server's time zone."""
        data = self.cleaned_data
        return AuditFilters(
            action=data["action"],
            actor=data["actor"],
            interface=data["interface"],
            target=data["target"],
            since=_start_of(data["since"]),
            until=_start_of(data["until"] + timedelta(days=1)) if data["until"] else None,
        )


def _start_of(day) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))
