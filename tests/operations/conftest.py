from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.operations import runtime


@pytest.fixture(autouse=True)
def fresh_operator_settings():
    """The per-process copy of the operator settings outlives a test's
    rolled-back transaction: start and end every test without it."""
    runtime.forget()
    yield
    runtime.forget()


@pytest.fixture
def operator_settings(db):
    """`operator_settings(insecure_registries="…", …)` changes them as the admin does."""

    def change(**changes):
        return runtime.operator_settings_update(changes=changes, actor="tests")

    return change


@pytest.fixture
def operator(client, db):
    """A client signed in as a superuser (an operator)."""
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def eager_celery():
    from imagestreams.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
