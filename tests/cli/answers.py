"""Whole API answers for the CLI's canned responses (tests/cli/fakes.py): each
builder fills every field the API always sends (its OpenAPI schema) and takes
what a test cares about as overrides."""

from __future__ import annotations

from typing import Any

CREATED = "2024-01-01T00:00:00Z"


def page(results: list, next_url: str | None = None) -> dict:
    return {"count": len(results), "next": next_url, "previous": None, "results": results}


def project(name: str, **fields: Any) -> dict:
    return {
        "name": name,
        "display_name": "",
        "description": "",
        "created": CREATED,
        "role": "admin",
    } | fields


def token_created(token: str, **fields: Any) -> dict:
    return {
        "id": 1,
        "name": "isctl",
        "prefix": token[:12],
        "created": CREATED,
        "expires_at": None,
        "last_used_at": None,
        "token": token,
    } | fields


def whoami(username: str, **fields: Any) -> dict:
    return {"username": username, "is_superuser": False} | fields


def image(digest: str, **fields: Any) -> dict:
    return {
        "digest": digest,
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "reference": f"quay.io/py@{digest}",
        "imported": CREATED,
        "created": CREATED,
        "author": "",
        "architecture": "amd64",
        "os": "linux",
        "variant": "",
        "labels": {},
        "env": [],
        "cmd": [],
        "entrypoint": [],
        "exposed_ports": [],
        "user": "",
        "working_dir": "",
        "volumes": [],
        "layers": [],
        "size": 0,
        "manifests": [],
    } | fields


def tag_event(digest: str, **fields: Any) -> dict:
    return {
        "created": CREATED,
        "reference": f"quay.io/py@{digest}",
        "image": digest,
        "generation": 1,
        "cause": "import",
        "actor": "alice",
    } | fields


def spec(source: str | None = None, **fields: Any) -> dict:
    return {
        "from": None
        if source is None
        else {"kind": "DockerImage", "name": source, "namespace": ""},
        "reference": False,
        "scheduled": False,
        "insecure": False,
        "import_mode": "Legacy",
        "reference_policy": "Source",
        "annotations": {},
        "generation": 1,
    } | fields


def named_tag(name: str, items: list, spec: dict | None = None, **fields: Any) -> dict:
    return {
        "name": name,
        "spec": spec,
        "items": items,
        "conditions": [],
        "import_pending": False,
    } | fields


def stream(name: str, tags: list, **fields: Any) -> dict:
    return {
        "name": name,
        "project": "team",
        "created": CREATED,
        "generation": 1,
        "lookup_local": False,
        "annotations": {},
        "repository": "",
        "spec_repository": "",
        "tags": tags,
    } | fields


def istag(name: str, image: dict, **fields: Any) -> dict:
    stream_name, _, tag = name.partition(":")
    return {
        "name": name,
        "stream": stream_name,
        "tag": tag,
        "created": CREATED,
        "generation": 1,
        "spec": None,
        "conditions": [],
        "lookup_local": False,
        "image": image,
    } | fields


def trigger(name: str, **fields: Any) -> dict:
    return {
        "name": name,
        "project": "team",
        "stream": "app",
        "tag": "1",
        "preset": "generic",
        "url": "https://ci.example.com/hook",
        "options": {},
        "has_secret": False,
        "has_token": False,
        "has_ssh_key": False,
        "enabled": True,
        "paused": False,
        "disabled_reason": "",
        "consecutive_failures": 0,
        "last_delivery_at": None,
        "last_response_status": None,
        "last_error": "",
        "created": CREATED,
        "updated": CREATED,
    } | fields


def delivery(uuid: str, **fields: Any) -> dict:
    return {
        "id": uuid,
        "trigger": "deploy",
        "kind": "test",
        "status": "succeeded",
        "attempts": 1,
        "next_attempt_at": CREATED,
        "response_status": 200,
        "error": "",
        "created": CREATED,
        "finished": CREATED,
        "change": None,
        "attempt_log": [],
    } | fields


def attempt(url: str, **fields: Any) -> dict:
    return {
        "number": 1,
        "started": CREATED,
        "duration_ms": 12,
        "url": url,
        "response_status": 200,
        "response_body": "ok",
        "error": "",
        "commit": "",
        "diff": "",
        "outcome": "success",
        "retry_at": None,
    } | fields


def change(**fields: Any) -> dict:
    """The tag move a delivery is about."""
    return {
        "project": "team",
        "stream": "app",
        "tag": "1",
        "previous_digest": "",
        "digest": "sha256:" + "0" * 64,
        "pull_spec": "registry.example.com/team/app@sha256:" + "0" * 64,
        "cause": "push",
        "actor": "alice",
        "created": CREATED,
    } | fields


def member(username: str, role: str = "viewer", **fields: Any) -> dict:
    return {"username": username, "role": role, "created": CREATED} | fields


def service_account(name: str, role: str = "viewer", **fields: Any) -> dict:
    return {
        "name": name,
        "role": role,
        "description": "",
        "username": f"serviceaccount:team:{name}",
        "created": CREATED,
    } | fields


def share(share_id: int, **fields: Any) -> dict:
    return {
        "id": share_id,
        "stream": "python",
        "target_project": "web",
        "target_user": None,
        "created_by": "admin",
        "created": CREATED,
    } | fields


def audit_event(event_id: int, action: str, **fields: Any) -> dict:
    return {
        "id": event_id,
        "created": CREATED,
        "actor": "admin",
        "interface": "api (isctl)",
        "action": action,
        "target": "",
        "before": None,
        "after": None,
    } | fields
