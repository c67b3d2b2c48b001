"""Registry notification envelopes in Distribution's format, for tests that
post them directly (the live-server tests get real ones from the registry)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

EVENTS_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def event(
    action: str = "push",
    *,
    repository: str = "team/app",
    tag: str | None = "1",
    digest: str | None = "sha256:" + "0" * 64,
    media_type: str | None = OCI_MANIFEST,
    event_id: str | None = None,
    timestamp: str | None = None,
    actor: str | None = None,
) -> dict:
    target: dict = {"repository": repository}
    if media_type:
        target.update(mediaType=media_type, size=401, length=401)
    if digest:
        target["digest"] = digest
        target["url"] = f"http://127.0.0.1:5000/v2/{repository}/manifests/{digest}"
    if tag:
        target["tag"] = tag
    return {
        "id": event_id or str(uuid.uuid4()),
        "timestamp": timestamp or datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "action": action,
        "target": target,
        "request": {"id": str(uuid.uuid4()), "method": "PUT", "useragent": "tests"},
        "actor": {"name": actor} if actor else {},
        "source": {"addr": "registry:5000", "instanceID": str(uuid.uuid4())},
    }


def envelope(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def notify(client, *events: dict, secret: str = "notify-secret", content_type=EVENTS_MEDIA_TYPE):
    """POST an envelope to the endpoint the way the registry does."""
    return client.post(
        "/hooks/registry",
        data=envelope(*events),
        content_type=content_type,
        headers={"Authorization": f"Bearer {secret}"},
    )
