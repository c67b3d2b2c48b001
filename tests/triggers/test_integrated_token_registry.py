"""The integrated registry in token mode, with this service as its token
server: the service reads pushes, reconciles and prunes with tokens it signs
itself (no password, so nobody can lock it out), carrying the catalog and
delete scopes that /registry/token grants no user."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from imagestreams.models import Image, ImageStream, RegistryEvent, Tag, TagEvent
from imagestreams.tasks import integrated_registry_reconcile_task
from tests.personas import PASSWORD
from tests.registry_lab.fixtures import require_tool
from tests.registry_lab.net import wait_until
from tests.registry_lab.registry import BINARY, Notifications, RegistryProcess, TokenAuth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.registry]


@pytest.fixture
def token_registry(live_server, token_keys, settings, tmp_path, team):
    """`token_registry(notify=True)`: a registry whose token server is the live
    server, paired with it; its notifications are refused when notify=False.
    Without credentials configured, the service reads it all the same."""
    require_tool(BINARY, "docker-registry")
    started: list[RegistryProcess] = []

    def start(*, notify: bool = True) -> RegistryProcess:
        auth = TokenAuth(
            realm=f"{live_server.url}/registry/token",
            service=settings.REGISTRY_TOKEN_SERVICE,
            issuer=settings.REGISTRY_TOKEN_ISSUER,
            rootcertbundle=token_keys,
        )
        secret = "notify-secret" if notify else "wrong"
        notifications = Notifications(f"{live_server.url}/hooks/registry", f"Bearer {secret}")
        registry = RegistryProcess(tmp_path / "registry", token=auth, notifications=notifications)
        started.append(registry.start())
        settings.INTEGRATED_REGISTRY_URL = registry.url
        settings.INTERNAL_REGISTRY_HOSTNAME = registry.host
        settings.REGISTRY_NOTIFICATION_SECRET = "notify-secret"
        return registry

    yield start
    for registry in started:
        registry.stop()


@pytest.fixture
def editor(pusher):
    """`editor(registry)`: a client pushing as the project's editor (through
    /registry/token with a password)."""
    return lambda registry: pusher(registry, creds=("editor", PASSWORD))


@pytest.fixture
def reader(settings):
    """The account the service was configured with before it signed its own
    tokens: a superuser, whom /registry/token grants pull and delete, never
    the catalog."""
    user = get_user_model().objects.create_superuser(
        f"reader-{uuid.uuid4().hex[:8]}", password=PASSWORD
    )
    settings.INTEGRATED_REGISTRY_USERNAME = user.username
    settings.INTEGRATED_REGISTRY_PASSWORD = PASSWORD
    return user


def applied(count: int) -> bool:
    return RegistryEvent.objects.filter(status="applied").count() == count


def test_pushes_are_read_even_when_the_configured_account_is_locked_out(
    token_registry, editor, reader, settings
):
    """The service's configured account is locked out from the service's own
    address (127.0.0.1); pushes are still applied: no password is used."""
    settings.RATE_LIMIT_SIGNIN = "3/300"
    for password in ("guess-1", "guess-2", "guess-3", PASSWORD):
        auth = base64.b64encode(f"{reader.username}:{password}".encode()).decode()
        response = Client().get("/registry/token", HTTP_AUTHORIZATION=f"Basic {auth}")
    assert response.status_code == 429  # the right password is refused from here

    registry = token_registry()
    pushed = editor(registry).push_image("team/app", "1")

    done = RegistryEvent.objects.exclude(status__in=["pending", "processing"])
    assert wait_until(done.exists)
    event = RegistryEvent.objects.get()
    assert (event.status, event.actor) == ("applied", "editor"), event.message
    tag = Tag.objects.get(stream__project__name="team", stream__name="app", name="1")
    assert tag.events.get().image.digest == pushed.digest


def test_reconciliation_reads_the_catalog_with_the_services_own_token(
    token_registry, editor, reader
):
    """The catalog and tags are read with tokens the service signs, and a
    push whose notification was lost is applied."""
    registry = token_registry(notify=False)
    client = editor(registry)
    lost = client.push_image("team/app", "1", text="lost")
    assert not ImageStream.objects.filter(name="app").exists()

    assert integrated_registry_reconcile_task() == 1

    tag = Tag.objects.get(stream__project__name="team", stream__name="app", name="1")
    assert tag.events.get().image.digest == lost.digest
    assert integrated_registry_reconcile_task() == 0


def test_pruning_deletes_managed_images_from_a_token_registry(token_registry, editor, reader):
    registry = token_registry()
    client = editor(registry)
    digests = []
    for n in range(5):
        digests.append(client.push_image("team/app", "1", text=f"build {n}").digest)
        assert wait_until(lambda n=n: applied(n + 1))
    then = timezone.now() - timedelta(hours=2)
    ImageStream.objects.update(created=then)
    TagEvent.objects.update(created=then)
    Image.objects.update(created=then)

    out, err = io.StringIO(), io.StringIO()
    call_command("prune_images", "--confirm", stdout=out, stderr=err)

    assert err.getvalue() == ""
    pruned, kept = digests[:2], digests[2:]
    assert [client.resolve("team/app", digest) for digest in pruned] == [None, None]
    assert all(client.resolve("team/app", digest) for digest in kept)
    assert set(Image.objects.values_list("digest", flat=True)) == set(kept)
