"""Inbound push webhooks of external registries, through the Django test client."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from imagestreams.hooks.signatures import MAX_AGE_SECONDS, generic_signature, url_token
from imagestreams.models import Tag
from imagestreams.scheduling.claims import enrol
from tests.factories import StreamFactory, TagFactory

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret-for-tests"
LATER = timedelta(hours=1)


@pytest.fixture(autouse=True)
def secret(settings):
    settings.WEBHOOK_SECRET = SECRET


@pytest.fixture
def follow():
    """`follow("quay.io/org/app:1")`: an enrolled scheduled tag, next check in an hour."""
    stream = StreamFactory()

    def make(source: str, **fields) -> Tag:
        tag = TagFactory(stream=stream, scheduled=True, from_name=source, **fields)
        enrol(now=timezone.now() + LATER, interval=60.0, limit=100, rand=lambda: 0.0)
        return tag

    return make


def due_now(*tags: Tag) -> list[bool]:
    now = timezone.now()
    return [Tag.objects.get(pk=t.pk).next_check_at <= now for t in tags]


def signed(body: bytes, *, at: float | None = None) -> dict:
    """Headers of a generic webhook signed at `at` (now by default)."""
    timestamp = str(int(time.time() if at is None else at))
    return {"X-Timestamp": timestamp, "X-Signature": generic_signature(SECRET, timestamp, body)}


def post(client, url: str, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(url, body, content_type="application/json", headers=headers)


def test_docker_hub_makes_the_pushed_tags_due(client, follow, django_capture_on_commit_callbacks):
    pushed = follow("python:3.12")
    other_tag = follow("docker.io/library/python:3.11")
    other_repo = follow("docker.io/library/ruby:3.12")
    payload = {
        "push_data": {"tag": "3.12", "pusher": "someone"},
        "repository": {"repo_name": "library/python", "namespace": "library", "name": "python"},
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, f"/hooks/dockerhub/{url_token(SECRET, 'dockerhub')}", payload)
    assert (response.status_code, response.json()) == (202, {"tags_to_check": 1})
    assert due_now(pushed, other_tag, other_repo) == [True, False, False]
    assert len(callbacks) == 1, "a sweep is started at once"


def test_quay_lists_updated_tags(client, follow):
    one, two = follow("quay.io/org/app:1"), follow("quay.io/org/app:2")
    payload = {"docker_url": "quay.io/org/app", "updated_tags": ["2"], "repository": "org/app"}
    response = post(client, f"/hooks/quay/{url_token(SECRET, 'quay')}", payload)
    assert response.status_code == 202
    assert due_now(one, two) == [False, True]


def test_harbor_push_events_and_other_events(client, follow):
    tag = follow("harbor.example.com/library/app:v1")
    url = f"/hooks/harbor/{url_token(SECRET, 'harbor')}"
    scan = {"type": "SCANNING_COMPLETED", "event_data": {"resources": []}}
    assert post(client, url, scan).json() == {"tags_to_check": 0}
    push = {
        "type": "PUSH_ARTIFACT",
        "occur_at": 1700000000,
        "event_data": {
            "resources": [
                {
                    "digest": "sha256:" + "a" * 64,
                    "tag": "v1",
                    "resource_url": "harbor.example.com/library/app:v1",
                }
            ],
            "repository": {"name": "app", "namespace": "library", "repo_full_name": "library/app"},
        },
    }
    assert post(client, url, push).status_code == 202
    assert due_now(tag) == [True]


def test_a_repository_push_without_tags_checks_every_tag_and_policies(client, follow):
    plain = follow("registry.example.com:5000/team/app:1")
    policy = follow(
        "registry.example.com:5000/team/app:1.2.0",
        policy={
            "kind": "semver",
            "range": "^1",
            "repository": "registry.example.com:5000/team/app",
        },
    )
    body = json.dumps({"repository": "registry.example.com:5000/team/app"}).encode()
    response = post(client, "/hooks/generic", body, **signed(body))
    assert response.json() == {"tags_to_check": 2}
    assert due_now(plain, policy) == [True, True]


def test_a_policy_tag_is_checked_on_any_pushed_tag(client, follow):
    policy = follow(
        "quay.io/org/app:1.2.0",
        policy={"kind": "semver", "range": "^1", "repository": "quay.io/org/app"},
    )
    body = json.dumps({"repository": "quay.io/org/app", "tags": ["1.3.0"]}).encode()
    post(client, "/hooks/generic", body, **signed(body))
    assert due_now(policy) == [True]


def test_a_rate_limited_tag_keeps_its_back_off(client, follow):
    tag = follow("quay.io/org/app:1", condition_reason="TooManyRequests")
    body = json.dumps({"repository": "quay.io/org/app"}).encode()
    response = post(client, "/hooks/generic", body, **signed(body))
    assert response.json() == {"tags_to_check": 0}
    assert due_now(tag) == [False]


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/hooks/dockerhub/" + "0" * 64, {}),
        (f"/hooks/quay/{url_token(SECRET, 'dockerhub')}", {}),  # another kind's token
        ("/hooks/generic", {}),
        ("/hooks/generic", {"X-Signature": "sha256=" + "0" * 64}),
        ("/hooks/generic", {"X-Timestamp": "1", "X-Signature": "sha256=" + "0" * 64}),
    ],
)
def test_bad_tokens_and_signatures_are_refused(client, follow, url, headers):
    tag = follow("docker.io/library/python:3.12")
    payload = {"push_data": {"tag": "3.12"}, "repository": {"repo_name": "library/python"}}
    response = post(client, url, payload, **headers)
    assert response.status_code == 401
    assert due_now(tag) == [False]


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("dockerhub", b"not json", "the body is not JSON"),
        ("dockerhub", b"[1, 2]", "not a JSON object"),
        ("dockerhub", b'{"push_data": {"tag": "1"}}', 'expected an object "repository"'),
        ("quay", b'{"docker_url": "app"}', "must name the registry host"),
        ("quay", b'{"docker_url": "quay.io/org/app", "updated_tags": "1"}', "list of tag"),
        ("harbor", b'{"event_data": {}}', 'expected "type" and "event_data"'),
        ("harbor", b'{"type": "PUSH_ARTIFACT", "event_data": {}}', 'needs "resources"'),
        ("generic", b'{"repository": "Not A Repo!"}', "is not an image repository"),
    ],
)
def test_unknown_formats_are_refused_with_the_reason(client, kind, body, message):
    url = "/hooks/generic" if kind == "generic" else f"/hooks/{kind}/{url_token(SECRET, kind)}"
    headers = signed(body) if kind == "generic" else {}
    response = post(client, url, body, **headers)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_hooks_are_off_without_a_secret(client, settings):
    settings.WEBHOOK_SECRET = ""
    response = post(client, f"/hooks/quay/{url_token('', 'quay')}", {"docker_url": "quay.io/a/b"})
    assert response.status_code == 404
    assert "IMAGESTREAMS_WEBHOOK_SECRET" in response.json()["detail"]


def test_only_post_is_accepted(client):
    assert client.get("/hooks/generic").status_code == 405


GENERIC = {"repository": "quay.io/org/app", "tags": ["1"]}


def test_a_generic_push_signed_now_is_accepted(client, follow):
    tag = follow("quay.io/org/app:1")
    body = json.dumps(GENERIC).encode()
    response = post(client, "/hooks/generic", body, **signed(body))
    assert (response.status_code, response.json()) == (202, {"tags_to_check": 1})
    assert due_now(tag) == [True]


@pytest.mark.parametrize("offset", [-(MAX_AGE_SECONDS + 60), MAX_AGE_SECONDS + 60])
def test_a_replayed_generic_push_is_refused(client, follow, offset):
    """A request captured once (signature and timestamp) cannot be sent again
    later: the timestamp is signed with the body and must be recent."""
    tag = follow("quay.io/org/app:1")
    body = json.dumps(GENERIC).encode()
    response = post(client, "/hooks/generic", body, **signed(body, at=time.time() + offset))
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "X-Timestamp is" in detail and "replay" in detail
    assert due_now(tag) == [False]


def test_a_fresh_timestamp_on_an_old_signature_is_refused(client, follow):
    tag = follow("quay.io/org/app:1")
    body = json.dumps(GENERIC).encode()
    old = signed(body, at=time.time() - 3600)
    forged = {**old, "X-Timestamp": str(int(time.time()))}
    response = post(client, "/hooks/generic", body, **forged)
    assert response.status_code == 401
    assert "wrong X-Signature" in response.json()["detail"]
    assert due_now(tag) == [False]


def test_a_signature_of_the_body_alone_is_refused_with_the_format(client, follow):
    """The former format (HMAC of the body, no timestamp) could be replayed for ever."""
    tag = follow("quay.io/org/app:1")
    body = json.dumps(GENERIC).encode()
    body_only = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = post(client, "/hooks/generic", body, X_Signature=body_only)
    assert response.status_code == 401
    assert 'HMAC-SHA256 of timestamp + "." + body' in response.json()["detail"]
    assert due_now(tag) == [False]
