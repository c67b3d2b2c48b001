"""Schemathesis against our OpenAPI schema, in-process through the WSGI
application (no network): every operation, with generated valid and invalid
inputs, as a project admin. No answer may be a 5xx, and every answer must
match the schema (status code, content type, body).

Bounded: a few examples per operation (SCHEMATHESIS_EXAMPLES raises it).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from imagestreams.access import acting
from imagestreams.services.tokens import token_create
from imagestreams.wsgi import application
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


# Generating the schema needs no database: it is loaded when the module is.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture
def test_connection_kept():
    """Requests made straight to the WSGI application close "old" database
    connections when they end, the test's own included (it is inside a
    transaction); Django's test client avoids that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, personas, team) -> str:
    stream = StreamFactory(project=team, name="app")
    TagEventFactory(tag=TagFactory(stream=stream, name="1"), image=ImageFactory())
    return token_create(by=acting(personas["admin"], "task"), name="schemathesis")[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_matches_its_schema_and_never_fails(
    case, admin_token, loopback_only, test_connection_kept
):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
