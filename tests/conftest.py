from __future__ import annotations

import pytest

pytest_plugins = ["tests.registry_lab.fixtures", "tests.personas", "tests.serving"]


@pytest.fixture
def eager_celery():
    """Tasks run at once in the process that queues them (no worker): an import
    queued on commit has happened when the request returns."""
    from imagestreams.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
