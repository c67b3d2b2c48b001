"""Every kind of write to a stream is in the next resolve and describe, though
both were answered from the shared cache just before: through the API, the
team pages, the admin, worker tasks (requested imports, scheduled checks
that find a new image or fail) and the registry's push notifications. The
answer after the write is the database's (read again with no trust in the
cache), and differs from the one before."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.scheduling import limits
from imagestreams.scheduling.checks import check_batch
from imagestreams.scheduling.claims import enrol
from imagestreams.scheduling.sweep import sweep
from imagestreams.services.import_requests import tags_import_now
from tests.api.conftest import url
from tests.processes import tasks_lost
from tests.triggers.events import event
from tests.triggers.events import notify as post_events

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

DESCRIBE = url("projects/team/imagestreams/app")
RESOLVE = url("resolve/team/app:1")
INTERVAL = 60.0


@pytest.fixture(autouse=True)
def shared_cache():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: nothing is recorded across requests")


@pytest.fixture(autouse=True)
def quick_checks(settings, monkeypatch):
    """Scheduled checks every minute, unpaced (as tests/scheduling does)."""
    settings.SCHEDULED_INTERVAL = INTERVAL
    settings.SCHEDULED_MINIMUM_INTERVAL = 1.0
    settings.REGISTRY_REQUESTS_PER_SECOND = 1000.0
    monkeypatch.setattr(limits, "_process_limits", limits.RegistryLimits(rate=1.0, concurrency=1))


class Lab:
    """team/app:1 follows an image of a real registry on a schedule (imported
    twice, so it has a history to roll back), read by the viewer."""

    def __init__(self, request, registry, pusher, repository, settings) -> None:
        self.fixture = request.getfixturevalue
        self.settings = settings
        self.registry = registry
        self.upstream = pusher(registry)
        self.repository = repository
        self.viewer = self.fixture("viewer_api")
        self.editor = self.fixture("editor_api")
        self.checks_at = timezone.now()
        self.capture = self.fixture("django_capture_on_commit_callbacks")

    def push(self, text: str):
        return self.upstream.push_image(self.repository, "1", text=text)

    def set_up(self) -> None:
        first = self.push("one")
        with self.capture(execute=True):  # the import runs in the task, on commit
            self.tag(first.reference, scheduled=True)
        self.push("two")
        with self.capture(execute=True):
            self.import_now()
        enrol(now=self.checks_at, interval=INTERVAL, limit=1000)

    def tag(self, source: str, destination: str = "app:1", **options) -> None:
        body = {"source": source, "destinations": [destination], "insecure": True, **options}
        answer = self.editor.post(url("projects/team/tag"), body, format="json")
        assert answer.status_code == 200, answer.content

    def import_now(self) -> None:
        tags_import_now([Tag.objects.get(name="1")], by=acting_system())

    def check(self) -> None:
        """The next sweep, as beat and a worker would run it."""
        self.checks_at += timedelta(seconds=2 * INTERVAL)
        for claim in sweep(now=self.checks_at):
            check_batch(claim.token, claim.tag_ids, by=acting_system())

    def read(self) -> tuple:
        described, resolved = self.viewer.get(DESCRIBE), self.viewer.get(RESOLVE)
        return (described.status_code, described.json(), resolved.status_code, resolved.json())

    def read_from_database(self) -> tuple:
        self.settings.AUTH_CACHE_SECONDS = 0  # the caller's access is checked again
        try:
            return self.read()
        finally:
            self.settings.AUTH_CACHE_SECONDS = 10


@pytest.fixture
def lab(request, registry, pusher, unique_repo, settings, team):
    made = Lab(request, registry, pusher, unique_repo, settings)
    made.set_up()
    return made


# --- the writes --------------------------------------------------------------


def api_rollback(lab: Lab) -> None:
    answer = lab.editor.post(url("projects/team/imagestreamtags/app:1/rollback"), {})
    assert answer.status_code == 200, answer.content


def api_alias(lab: Lab) -> None:
    lab.tag("app:1", "app:stable", alias=True, insecure=False)


def api_untag(lab: Lab) -> None:
    answer = lab.editor.post(url("projects/team/untag"), {"destinations": ["app:1"]})
    assert answer.status_code == 200, answer.content


def api_annotations(lab: Lab) -> None:
    answer = lab.editor.patch(DESCRIBE, {"annotations": {"owner": "ops"}}, format="json")
    assert answer.status_code == 200, answer.content


def api_import_image(lab: Lab) -> None:
    lab.push("three")
    body = {"target": "app:1", "from": f"{lab.registry.host}/{lab.repository}:1"}
    answer = lab.editor.post(url("projects/team/imports"), {**body, "insecure": True})
    assert answer.status_code == 200, answer.content


def api_new_source_import_pending(lab: Lab) -> None:
    """A new spec whose import a worker has not run yet: pending."""
    other = lab.upstream.push_image(lab.repository, "other", text="other")
    with tasks_lost():
        lab.tag(other.reference)


def api_reference_policy(lab: Lab) -> None:
    lab.tag(f"{lab.registry.host}/{lab.repository}:1", reference_policy="local", scheduled=True)


def web_rollback(lab: Lab) -> None:
    client = lab.fixture("client")
    client.force_login(lab.fixture("personas")["editor"])
    older = Tag.objects.get(name="1").events.select_related("image")[1].image.digest
    answer = client.post("/p/team/is/app/tags/1/rollback", {"to": older})
    assert answer.status_code in (200, 302), answer.content


def admin_pause_scheduling(lab: Lab) -> None:
    operator = lab.fixture("client")
    operator.force_login(get_user_model().objects.create_superuser("root", "root@x", "pw"))
    selected = {"action": "pause_scheduling", "_selected_action": [Tag.objects.get(name="1").pk]}
    assert operator.post("/admin/imagestreams/tag/", selected).status_code == 302


def task_requested_import(lab: Lab) -> None:
    lab.push("three")
    lab.import_now()


def task_scheduled_check_finds_an_image(lab: Lab) -> None:
    lab.push("three")
    lab.check()


def task_scheduled_check_fails(lab: Lab) -> None:
    current = Tag.objects.get(name="1").events.select_related("image").first().image.digest
    lab.upstream.delete(lab.repository, current)
    lab.check()


def registry_push_notification(lab: Lab) -> None:
    """A push to the integrated registry (here the same registry), notified."""
    lab.settings.REGISTRY_NOTIFICATION_SECRET = "notify-secret"
    pushed = lab.upstream.push_image("team/app", "pushed", text="pushed")
    answer = post_events(
        lab.fixture("client"), event(repository="team/app", tag="pushed", digest=pushed.digest)
    )
    assert answer.json()["accepted"] == 1, answer.content


WRITES = [
    api_rollback,
    api_alias,
    api_untag,
    api_annotations,
    api_import_image,
    api_new_source_import_pending,
    api_reference_policy,
    web_rollback,
    admin_pause_scheduling,
    task_requested_import,
    task_scheduled_check_finds_an_image,
    task_scheduled_check_fails,
    registry_push_notification,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_a_write_is_in_the_next_read(lab, write, settings, django_assert_num_queries):
    if write is registry_push_notification:
        settings.INTEGRATED_REGISTRY_URL = lab.registry.url
    before = lab.read()
    with django_assert_num_queries(0):  # answered from the cache
        assert lab.read() == before
    with lab.capture(execute=True):
        write(lab)
    after = lab.read()
    assert after == lab.read_from_database()
    assert after != before
