"""The integrated registry in token mode, with real clients: service-account
tokens push and pull exactly as their role says, a project a stream is
shared with may pull it and not push, and a push becomes a stream with a
history entry through the registry's notifications."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError

from imagestreams.access import acting, acting_system
from imagestreams.models import ImageStream, RegistryEvent, Tag
from imagestreams.services.projects import membership_set, project_create
from imagestreams.services.streams import stream_create
from imagestreams.services.teams import share_grant
from tests.registry_lab.images import PushError
from tests.registry_lab.net import wait_until
from tests.registry_lab.registry import Notifications, RegistryProcess, TokenAuth
from tests.registry_lab.skopeo import SkopeoError
from tests.teams.world import add_service_account

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.registry]
PASSWORD = "correct-horse-battery"
NOTIFY = "notify-secret"


def push_applied(repository: str, tag: str) -> bool:
    """Polled while the live server works: SQLite's in-memory test database
    is shared with its thread and may be locked for a moment."""
    try:
        return RegistryEvent.objects.filter(
            repository=repository, tag=tag, status="applied"
        ).exists()
    except OperationalError:
        return False


@pytest.fixture
def teams():
    """Project "team" (alice admin) with service accounts "builder" (editor)
    and "deployer" (viewer); project "apps" (bob admin, carol viewer)."""
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    bob = users.create_user("bob", password=PASSWORD)
    carol = users.create_user("carol", password=PASSWORD)
    team = project_create(name="team", by=acting(alice, "task"))
    apps = project_create(name="apps", by=acting(bob, "task"))
    membership_set(project=apps, user=carol, role="viewer")
    _, builder = add_service_account(team, role="editor", name="builder")
    _, deployer = add_service_account(team, role="viewer", name="deployer")
    _, outside = add_service_account(apps, role="editor", name="ci")
    return {"builder": builder, "deployer": deployer, "apps-ci": outside, "team": team}


def start_registry(tmp_path, settings, live_server, cert, notifications=None) -> RegistryProcess:
    auth = TokenAuth(
        realm=f"{live_server.url}/registry/token",
        service=settings.REGISTRY_TOKEN_SERVICE,
        issuer=settings.REGISTRY_TOKEN_ISSUER,
        rootcertbundle=cert,
    )
    return RegistryProcess(tmp_path / "registry", token=auth, notifications=notifications).start()


@pytest.fixture
def token_registry(live_server, token_keys, settings, tmp_path, teams):
    """A token-mode registry whose tokens come from the live server."""
    registry = start_registry(tmp_path, settings, live_server, token_keys)
    yield registry
    registry.stop()


@pytest.fixture
def paired_registry(live_server, token_keys, settings, tmp_path, teams):
    """The same, also sending its push notifications to the live server,
    which reads pushed manifests back with the deployer's (viewer) token.
    Only where needed: on SQLite the notifications' work and the clients'
    token requests would contend for the live server's shared database."""
    notifications = Notifications(f"{live_server.url}/hooks/registry", f"Bearer {NOTIFY}")
    registry = start_registry(tmp_path, settings, live_server, token_keys, notifications)
    settings.INTEGRATED_REGISTRY_URL = registry.url
    settings.INTERNAL_REGISTRY_HOSTNAME = registry.host
    settings.REGISTRY_NOTIFICATION_SECRET = NOTIFY
    settings.INTEGRATED_REGISTRY_USERNAME = "imagestreams"
    settings.INTEGRATED_REGISTRY_PASSWORD = teams["deployer"]
    yield registry
    registry.stop()


def test_an_editor_token_pushes_and_the_push_becomes_history(paired_registry, teams, pusher):
    assert not ImageStream.objects.filter(name="app").exists()
    pushed = pusher(paired_registry, creds=("builder", teams["builder"])).push_image(
        "team/app", "1"
    )
    assert wait_until(lambda: push_applied("team/app", "1")), paired_registry.log_text()[-2000:]
    stream = ImageStream.objects.get(project__name="team", name="app")
    event = Tag.objects.get(stream=stream, name="1").events.select_related("image").get()
    assert (event.cause, event.image.digest, event.image.managed) == ("push", pushed.digest, True)


def test_a_viewer_token_pulls_and_may_not_push(token_registry, teams, pusher, skopeo):
    pushed = pusher(token_registry, creds=("builder", teams["builder"])).push_image("team/app", "2")
    reference = f"{token_registry.host}/team/app:2"
    raw = skopeo.inspect_raw(reference, creds=("deployer", teams["deployer"]))
    assert raw == pushed.manifest.data
    with pytest.raises(PushError):
        pusher(token_registry, creds=("deployer", teams["deployer"])).push_image("team/app", "3")


def test_a_token_of_another_project_gets_nothing(token_registry, teams, pusher, skopeo):
    pusher(token_registry, creds=("builder", teams["builder"])).push_image("team/app", "1")
    with pytest.raises(SkopeoError):
        skopeo.inspect_raw(f"{token_registry.host}/team/app:1", creds=("ci", teams["apps-ci"]))
    with pytest.raises(PushError):
        pusher(token_registry, creds=("ci", teams["apps-ci"])).push_image("team/app", "2")


def test_a_shared_project_pulls_the_shared_stream_and_may_not_push(
    token_registry, teams, pusher, skopeo
):
    builder = pusher(token_registry, creds=("builder", teams["builder"]))
    builder.push_image("team/base", "1")
    builder.push_image("team/private", "1")
    # Without notifications here, the stream is created apart from the push.
    stream_create(project=teams["team"], name="base", by=acting_system())
    share_grant(
        project=teams["team"], stream_name="base", target_project="apps", by=acting_system()
    )
    host = token_registry.host
    # A member of the receiving project, and its service account.
    assert skopeo.inspect_raw(f"{host}/team/base:1", creds=("carol", PASSWORD))
    assert skopeo.inspect_raw(f"{host}/team/base:1", creds=("ci", teams["apps-ci"]))
    with pytest.raises(SkopeoError):
        skopeo.inspect_raw(f"{host}/team/private:1", creds=("carol", PASSWORD))
    with pytest.raises(PushError):
        pusher(token_registry, creds=("bob", PASSWORD)).push_image("team/base", "2")
