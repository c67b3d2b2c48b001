from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, settings

from tests.triggers.receiver import Receiver

pytest_plugins = [
    "tests.registry_lab.fixtures",
    "tests.personas",
    "tests.serving",
    "tests.triggers.gitserver",
    "tests.triggers.sshserver",
]

# Property tests check what holds for every example, never how fast an
# example runs or inputs are generated: no deadline (200 ms by default),
# no health check on slow generation (both fail on a busy CI machine).
settings.register_profile(
    "imagestreams", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("imagestreams")


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test starts with an empty shared cache, as it starts with an empty
    database: the stream versions and recorded answers (imagestreams.freshness)
    of an earlier test, whose rows were rolled back, are never read. The
    processes a test starts share its namespace (tests/processes.py)."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX")
    if prefix:
        own = f"{prefix}-{uuid.uuid4().hex[:8]}"
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": own}}


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A webhook receiver on loopback (which triggers may then call)."""
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def tasks_lost():
    """What this test's process queues is lost instead of run (tests.processes.tasks_lost)."""
    from tests.processes import tasks_lost

    with tasks_lost():
        yield


@pytest.fixture
def operator_settings():
    """`operator_settings(insecure_registries="…", …)` changes the image
    configuration as an operator does in the admin."""
    from imagestreams.access import acting_system
    from imagestreams.services.image_config import image_config_update

    def change(**changes):
        return image_config_update(by=acting_system("admin", "tests"), changes=changes)

    return change


@pytest.fixture
def token_keys(settings, tmp_path):
    """A fresh signing key for the registry token server; yields its certificate."""
    from imagestreams.registry_auth.keys import load_signing_key

    settings.REGISTRY_TOKEN_KEY_FILE = str(tmp_path / "keys" / "key.pem")
    load_signing_key.cache_clear()
    call_command("registry_keys", "--realm", "http://example/registry/token", stdout=io.StringIO())
    yield tmp_path / "keys" / "cert.pem"
    load_signing_key.cache_clear()
