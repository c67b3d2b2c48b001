"""Creating, changing and deleting triggers; every input is checked before
anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.models import Project
from imagestreams.models.streams import stream_name_validator
from imagestreams.registry.netguard import is_internal, literal_address
from imagestreams.services.errors import Conflict, InvalidInput
from imagestreams.services.sources import validate_tag_name
from triggers.gitops.spec import GIT_OPTIONS, validate_git_options
from triggers.gitops.ssh import (
    SshInputError,
    is_ssh_url,
    parse_ssh_url,
    validate_known_hosts,
    validate_private_key,
)
from triggers.models import Preset, Trigger, trigger_name_validator

GITHUB_API = "https://api.github.com"
GITLAB = "https://gitlab.com"
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_VARIABLES = 50
MAX_OPTION_TEXT = 255
# Options each preset understands; anything else is a typo worth reporting.
PRESET_OPTIONS = {
    Preset.GENERIC: set(),
    Preset.GITHUB: {"repository", "event_type", "api_url"},
    Preset.GITLAB: {"project", "ref", "variables", "gitlab_url"},
    Preset.GIT: GIT_OPTIONS,
}
UNSET: Any = object()


@dataclass(frozen=True)
class TriggerSpec:
    """Everything that defines a trigger, validated together."""

    stream: str
    tag: str
    preset: str
    url: str
    options: dict
    has_token: bool
    has_ssh_key: bool = False

    @property
    def over_ssh(self) -> bool:
        """A Git write-back to an SSH URL: it authenticates with the deploy key."""
        return self.preset == Preset.GIT and is_ssh_url(self.url)


def trigger_create(
    *,
    by: Principal,
    project: Project,
    name: str,
    stream: str,
    tag: str = "",
    preset: str = Preset.GENERIC,
    url: str = "",
    options: dict | None = None,
    secret: str = "",
    token: str = "",
    ssh_key: str = "",
    enabled: bool = True,
) -> Trigger:
    """Create a trigger on `stream:tag` (every tag of the stream when `tag` is empty)."""
    _validate_name(name)
    ssh_key = _checked_ssh_key(ssh_key)
    given = TriggerSpec(
        stream, tag, preset, url, options or {}, has_token=bool(token), has_ssh_key=bool(ssh_key)
    )
    _refuse_unused_credential(given, token=token, ssh_key=ssh_key)
    spec = validate_spec(given)
    trigger = Trigger(project=project, name=name, enabled=enabled, **_spec_fields(spec))
    trigger.set_secret(secret)
    trigger.set_token(token)
    trigger.set_ssh_key(ssh_key)
    try:
        with transaction.atomic():
            trigger.save()
            audit.record(
                "trigger.create", by=by, project=project, target=name, after=_audit_facts(trigger)
            )
    except IntegrityError:
        raise Conflict(f'trigger "{name}" already exists', field="name") from None
    return trigger


def trigger_update(
    *,
    by: Principal,
    trigger: Trigger,
    stream: str = UNSET,
    tag: str = UNSET,
    preset: str = UNSET,
    url: str = UNSET,
    options: dict = UNSET,
    secret: str = UNSET,
    token: str = UNSET,
    ssh_key: str = UNSET,
    enabled: bool = UNSET,
) -> Trigger:
    """Change the given fields. Re-enabling a trigger that we disabled clears
    the reason and its failure count.

    Delivery workers write `enabled`, `disabled_reason` and the failure count
    while a person edits the trigger: only the fields the caller gives are
    written, and enabling or pausing is a conditional UPDATE, so a worker's
    concurrent write is never undone by a stale copy of the row.

    A Git write-back keeps only the credential its URL uses: moving it to an
    SSH URL removes its token, moving it to an https:// URL its deploy key."""
    if ssh_key is not UNSET:
        ssh_key = _checked_ssh_key(ssh_key)
    current = Trigger.objects.get(pk=trigger.pk)
    before = _audit_facts(current)
    preset_changed = preset is not UNSET and preset != current.preset
    # A URL the preset derived from the options follows new options.
    rederive = preset_changed or (options is not UNSET and _url_is_derived(current))
    given = TriggerSpec(
        stream=current.stream if stream is UNSET else stream,
        tag=current.tag if tag is UNSET else tag,
        preset=current.preset if preset is UNSET else preset,
        # A new preset means a new destination unless one is given.
        url=(("" if rederive else current.url) if url is UNSET else url),
        options=(({} if preset_changed else current.options) if options is UNSET else options),
        has_token=bool(current.token_encrypted) if token is UNSET else bool(token),
        has_ssh_key=(bool(current.ssh_key_encrypted) if ssh_key is UNSET else bool(ssh_key)),
    )
    _refuse_unused_credential(
        given,
        token="" if token is UNSET else token,
        ssh_key="" if ssh_key is UNSET else ssh_key,
    )
    spec = validate_spec(given)
    if spec.over_ssh and token is UNSET and current.token_encrypted:
        token = ""  # no longer used
    if not spec.over_ssh and ssh_key is UNSET and current.ssh_key_encrypted:
        ssh_key = ""
    changed = _spec_fields(spec)
    for name, value in changed.items():
        setattr(current, name, value)
    if secret is not UNSET:
        current.set_secret(secret)
        changed["secret_encrypted"] = current.secret_encrypted
    if token is not UNSET:
        current.set_token(token)
        changed["token_encrypted"] = current.token_encrypted
    if ssh_key is not UNSET:
        current.set_ssh_key(ssh_key)
        changed["ssh_key_encrypted"] = current.ssh_key_encrypted
    with transaction.atomic():
        Trigger.objects.filter(pk=current.pk).update(**changed, updated=timezone.now())
        if enabled is not UNSET:
            _set_enabled(current, enabled)
        current.refresh_from_db()
        audit.record(
            "trigger.update",
            by=by,
            project=current.project,
            target=current.name,
            before=before,
            after=_audit_facts(current),
        )
    return current


def _url_is_derived(trigger: Trigger) -> bool:
    """Whether the trigger's URL is the one its preset makes of its options
    (no URL was given)."""
    if trigger.preset == Preset.GENERIC:
        return False
    spec = TriggerSpec(
        trigger.stream, trigger.tag, trigger.preset, "", trigger.options, has_token=True
    )
    try:
        return validate_spec(spec).url == trigger.url
    except InvalidInput:
        return False


def _set_enabled(trigger: Trigger, enabled: bool) -> None:
    rows = Trigger.objects.filter(pk=trigger.pk, enabled=not enabled)
    if enabled:
        rows.update(enabled=True, disabled_reason="", consecutive_failures=0)
    else:
        rows.update(enabled=False, disabled_reason="")  # paused by a person, not by us


def trigger_delete(*, by: Principal, trigger: Trigger) -> None:
    """Delete a trigger with its deliveries (pending ones are never sent)."""
    with transaction.atomic():
        audit.record("trigger.delete", by=by, project=trigger.project, target=trigger.name)
        trigger.delete()


def _audit_facts(trigger: Trigger) -> dict:
    """What the audit log keeps of a trigger: never its secret or token."""
    return {
        "stream": trigger.stream,
        "tag": trigger.tag,
        "preset": trigger.preset,
        "url": trigger.url,
        "enabled": trigger.enabled,
    }


def validate_spec(spec: TriggerSpec) -> TriggerSpec:
    _validate_watch(spec.stream, spec.tag)
    if spec.preset not in Preset.values:
        raise InvalidInput(
            f"preset must be one of {', '.join(Preset.values)}, not {spec.preset!r}",
            field="preset",
        )
    if not isinstance(spec.options, dict):
        raise InvalidInput("options must be an object", field="options")
    unknown = sorted(set(spec.options) - PRESET_OPTIONS[Preset(spec.preset)])
    if unknown:
        known = ", ".join(sorted(PRESET_OPTIONS[Preset(spec.preset)])) or "none"
        raise InvalidInput(
            f"unknown option(s) for the {spec.preset} preset: {', '.join(unknown)} "
            f"(known: {known})",
            field="options",
        )
    options, url = PRESET_VALIDATORS[Preset(spec.preset)](dict(spec.options), spec)
    if not spec.over_ssh:  # _validate_git checked an SSH URL
        url = validate_url(url)
    return TriggerSpec(
        spec.stream, spec.tag, spec.preset, url, options, spec.has_token, spec.has_ssh_key
    )


def _validate_generic(options: dict, spec: TriggerSpec) -> tuple[dict, str]:
    if not spec.url:
        raise InvalidInput("url is required for a JSON webhook", field="url")
    return options, spec.url


def _validate_github(options: dict, spec: TriggerSpec) -> tuple[dict, str]:
    _require_token(spec, "a GitHub token allowed to create repository dispatch events")
    event_type = _text_option(options, "event_type", required=False)
    if len(event_type) > 100:
        raise InvalidInput("event_type must be 100 characters or fewer", field="options")
    url = spec.url
    if not url:
        repository = _text_option(options, "repository")
        if not GITHUB_REPOSITORY.match(repository):
            raise InvalidInput('repository must be "owner/name"', field="options")
        api = (_text_option(options, "api_url", required=False) or GITHUB_API).rstrip("/")
        url = f"{api}/repos/{repository}/dispatches"
    return options, url


def _validate_gitlab(options: dict, spec: TriggerSpec) -> tuple[dict, str]:
    _require_token(spec, "the pipeline trigger token")
    _text_option(options, "ref")
    variables = options.get("variables", {})
    if not isinstance(variables, dict) or len(variables) > MAX_VARIABLES:
        raise InvalidInput(
            f"variables must be an object of at most {MAX_VARIABLES} NAME: value pairs",
            field="options",
        )
    for name, value in variables.items():
        if not VARIABLE_NAME.match(name) or not isinstance(value, str):
            raise InvalidInput(
                f"variable {name!r} needs a name of letters, digits and _ and a text value",
                field="options",
            )
    url = spec.url
    if not url:
        gitlab_project = _text_option(options, "project")
        base = (_text_option(options, "gitlab_url", required=False) or GITLAB).rstrip("/")
        url = f"{base}/api/v4/projects/{quote(gitlab_project, safe='')}/trigger/pipeline"
    return options, url


def _validate_git(options: dict, spec: TriggerSpec) -> tuple[dict, str]:
    if not spec.url:
        raise InvalidInput(
            "url is required for a Git write-back: the repository's https:// URL with a token, "
            "or its SSH URL (ssh://user@host[:port]/path or user@host:path) with a deploy key",
            field="url",
        )
    checked = validate_git_options(options)
    if not spec.over_ssh:
        if urlsplit(spec.url).scheme not in ("http", "https"):
            raise InvalidInput(
                f"url must be the repository's https:// URL or an SSH URL "
                f"(ssh://user@host[:port]/path or user@host:path), not {spec.url!r}",
                field="url",
            )
        _require_token(spec, "a token allowed to push to the repository")
        if "known_hosts" in checked:
            raise InvalidInput(
                "known_hosts is only for SSH URLs (an https:// host is checked by TLS): "
                "remove it, or give the repository's SSH URL",
                field="options",
            )
        return checked, spec.url
    if len(spec.url) > 2048:
        raise InvalidInput("url must be at most 2048 characters", field="url")
    try:
        url = parse_ssh_url(spec.url)
    except SshInputError as exc:
        raise InvalidInput(str(exc), field="url") from None
    _refuse_internal_literal(url.host)
    if not spec.has_ssh_key:
        raise InvalidInput(
            "ssh_key is required for an SSH URL: the private key of a deploy key allowed "
            "to push to the repository",
            field="ssh_key",
        )
    try:
        checked["known_hosts"] = validate_known_hosts(checked.get("known_hosts", ""), url)
    except SshInputError as exc:
        raise InvalidInput(str(exc), field="options") from None
    return checked, spec.url


PRESET_VALIDATORS = {
    Preset.GENERIC: _validate_generic,
    Preset.GITHUB: _validate_github,
    Preset.GITLAB: _validate_gitlab,
    Preset.GIT: _validate_git,
}


def validate_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url must be an http:// or https:// URL, not {url!r}", field="url")
    try:
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise InvalidInput(f"url has an invalid port: {url!r}", field="url") from None
    if parts.username or parts.password:
        raise InvalidInput(
            "url must not contain credentials; use the token or the secret", field="url"
        )
    if len(url) > 2048:
        raise InvalidInput("url must be at most 2048 characters", field="url")
    try:
        # A host the HTTP client refuses would fail every delivery.
        httpx.URL(url).host  # noqa: B018
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidInput(f"url has an invalid host: {exc}", field="url") from None
    _refuse_internal_literal(parts.hostname)
    return url


def _refuse_internal_literal(host: str) -> None:
    """Names are checked again at every send (netguard); IP literals, in any
    of the forms resolvers accept (127.1, 2130706433, 0x7f000001), and
    localhost can be refused now."""
    if settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES:
        return
    refused = (
        "webhooks to internal addresses are refused "
        "(IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES allows them)"
    )
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise InvalidInput(f"url points at {host}, this machine; {refused}", field="url")
    address = literal_address(host)
    if address is not None and is_internal(address):
        written = "" if str(address) == host else f" (written {host})"
        raise InvalidInput(
            f"url points at the internal address {address}{written}; {refused}", field="url"
        )


def _validate_name(name: str) -> None:
    try:
        trigger_name_validator(name)
    except ValidationError as exc:
        raise InvalidInput(
            f'invalid trigger name "{name}": {exc.messages[0]}', field="name"
        ) from None


def _validate_watch(stream: str, tag: str) -> None:
    try:
        stream_name_validator(stream)
    except ValidationError as exc:
        raise InvalidInput(
            f'invalid image stream name "{stream}": {exc.messages[0]}', field="stream"
        ) from None
    if tag:
        try:
            validate_tag_name(tag)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="tag") from None


def _checked_ssh_key(key: str) -> str:
    """The deploy key in OpenSSH format ("" stays ""), or a clear 400."""
    if not key:
        return ""
    try:
        return validate_private_key(key)
    except SshInputError as exc:
        raise InvalidInput(str(exc), field="ssh_key") from None


def _refuse_unused_credential(spec: TriggerSpec, *, token: str, ssh_key: str) -> None:
    if spec.over_ssh and token:
        raise InvalidInput(
            "token is for https:// URLs: an SSH URL authenticates with ssh_key (a deploy key)",
            field="token",
        )
    if not spec.over_ssh and ssh_key:
        raise InvalidInput(
            "ssh_key is only for a Git write-back to an SSH URL "
            "(ssh://user@host[:port]/path or user@host:path)",
            field="ssh_key",
        )


def _require_token(spec: TriggerSpec, what: str) -> None:
    if not spec.has_token:
        raise InvalidInput(f"token is required for the {spec.preset} preset: {what}", field="token")


def _text_option(options: dict, name: str, *, required: bool = True) -> str:
    value = options.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_OPTION_TEXT:
        raise InvalidInput(
            f"option {name} must be a text of at most 255 characters", field="options"
        )
    if required and not value.strip():
        raise InvalidInput(f"option {name} is required", field="options")
    return value.strip()


def _spec_fields(spec: TriggerSpec) -> dict:
    return {
        "stream": spec.stream,
        "tag": spec.tag,
        "preset": spec.preset,
        "url": spec.url,
        "options": spec.options,
    }
