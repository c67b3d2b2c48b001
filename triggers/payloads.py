"""What a delivery sends: the versioned JSON payload and, per preset, the
request the receiving service expects.

References:
- GitHub: https://docs.github.com/en/rest/repos/repos#create-a-repository-dispatch-event
  (`event_type` up to 100 characters, `client_payload` with at most 10
  top-level properties; answers 204).
- GitLab: https://docs.gitlab.com/ci/triggers/ (POST
  /api/v4/projects/:id/trigger/pipeline with `token`, `ref` and
  `variables[NAME]`; answers 201).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict
from urllib.parse import urlencode

from triggers.models import Preset

PAYLOAD_VERSION = 1
EVENT_CHANGED = "image.changed"
EVENT_TEST = "test"
GITHUB_API_VERSION = "2022-11-28"
DEFAULT_GITHUB_EVENT_TYPE = "imagestream-tag-changed"


class ChangePayload(TypedDict):
    version: int
    event: str
    delivery_id: str
    trigger: str
    project: str
    stream: str
    tag: str
    digest: str
    previous_digest: str
    pull_spec: str
    cause: str
    actor: str
    time: str
    test: bool


@dataclass(frozen=True)
class ChangeFacts:
    """The parts of a TagChange a payload needs (also built for test sends)."""

    project: str
    stream: str
    tag: str
    digest: str
    previous_digest: str
    pull_spec: str
    cause: str
    actor: str
    time: str


@dataclass
class OutgoingRequest:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


def change_payload(
    facts: ChangeFacts, *, delivery_id: str, trigger: str, test: bool
) -> ChangePayload:
    return ChangePayload(
        version=PAYLOAD_VERSION,
        event=EVENT_TEST if test else EVENT_CHANGED,
        delivery_id=delivery_id,
        trigger=trigger,
        project=facts.project,
        stream=facts.stream,
        tag=facts.tag,
        digest=facts.digest,
        previous_digest=facts.previous_digest,
        pull_spec=facts.pull_spec,
        cause=facts.cause,
        actor=facts.actor,
        time=facts.time,
        test=test,
    )


def build_request(
    *, preset: str, url: str, options: dict, token: str, payload: ChangePayload
) -> OutgoingRequest:
    """The preset's request; signature and delivery headers are added by the transport."""
    builder = BUILDERS[preset]
    return builder(url, options, token, payload)


def _generic(url: str, options: dict, token: str, payload: ChangePayload) -> OutgoingRequest:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return OutgoingRequest(url=url, body=_json(payload), headers=headers)


def _github(url: str, options: dict, token: str, payload: ChangePayload) -> OutgoingRequest:
    # client_payload may have at most 10 top-level properties.
    client_payload = {
        key: payload[key]
        for key in (
            "version",
            "delivery_id",
            "project",
            "stream",
            "tag",
            "digest",
            "previous_digest",
            "pull_spec",
            "cause",
            "time",
        )
    }
    if payload["test"]:
        client_payload["cause"] = EVENT_TEST
    body = {
        "event_type": options.get("event_type") or DEFAULT_GITHUB_EVENT_TYPE,
        "client_payload": client_payload,
    }
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": GITHUB_API_VERSION,
        "Content-Type": "application/json",
    }
    return OutgoingRequest(url=url, body=_json(body), headers=headers)


def gitlab_variables(payload: ChangePayload) -> dict[str, str]:
    return {
        "IMAGESTREAM_PROJECT": payload["project"],
        "IMAGESTREAM_NAME": payload["stream"],
        "IMAGESTREAM_TAG": payload["tag"],
        "IMAGE_DIGEST": payload["digest"],
        "IMAGE_PREVIOUS_DIGEST": payload["previous_digest"],
        "IMAGE_PULL_SPEC": payload["pull_spec"],
        "IMAGE_CHANGE_CAUSE": EVENT_TEST if payload["test"] else payload["cause"],
        "IMAGESTREAMS_DELIVERY_ID": payload["delivery_id"],
    }


def _gitlab(url: str, options: dict, token: str, payload: ChangePayload) -> OutgoingRequest:
    # The user's extra variables first: ours describe the change and win.
    variables = {**options.get("variables", {}), **gitlab_variables(payload)}
    form = [("token", token), ("ref", options["ref"])]
    form += [(f"variables[{name}]", value) for name, value in variables.items()]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return OutgoingRequest(url=url, body=urlencode(form).encode(), headers=headers)


def _json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


# Keyed by plain strings too: Preset members are str.
BUILDERS: dict[str, Callable[[str, dict, str, ChangePayload], OutgoingRequest]] = {
    Preset.GENERIC: _generic,
    Preset.GITHUB: _github,
    Preset.GITLAB: _gitlab,
}
