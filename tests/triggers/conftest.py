from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.registry_lab.net import REQUEST_TIMEOUT
from tests.triggers.receiver import Receiver
from triggers.services.triggers import trigger_create


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    # Receivers run on loopback; retries are immediate unless a test says otherwise.
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    settings.TRIGGER_RETRY_BASE_SECONDS = 0
    settings.TRIGGER_TIMEOUT = REQUEST_TIMEOUT
    settings.TRIGGER_MAX_ATTEMPTS = 4
    return settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def eager_celery():
    from imagestreams.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def make_trigger(team, receiver):
    """`make_trigger(stream="app", tag="1", **options)`: a JSON webhook to the receiver."""

    def make(*, name: str = "hook", stream: str = "app", tag: str = "", **options):
        options.setdefault("url", f"{receiver.url}/hook")
        options.setdefault("secret", "s3cret")
        return trigger_create(project=team, name=name, stream=stream, tag=tag, **options)

    return make
