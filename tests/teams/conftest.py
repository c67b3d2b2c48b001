"""Fixtures of the teams tests, on top of tests.personas (project "team"
with its admin, editor and viewer, and an outsider)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from imagestreams.access import acting
from imagestreams.models import ImageStream, Tag, TagEvent
from imagestreams.services.tokens import token_create
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.teams.world import NEW, OLD, add_partner, add_service_account


@dataclass
class Python:
    stream: ImageStream
    tag: Tag  # python:3.6, with an older and a current image
    old: TagEvent
    new: TagEvent


@pytest.fixture
def python(team) -> Python:
    stream = StreamFactory(project=team, name="python")
    tag = TagFactory(stream=stream, name="3.6", from_name="quay.io/example/python:3.6")
    old = TagEventFactory(tag=tag, generation=1, image=ImageFactory(digest=OLD))
    new = TagEventFactory(tag=tag, generation=2, image=ImageFactory(digest=NEW))
    return Python(stream=stream, tag=tag, old=old, new=new)


@pytest.fixture
def partner(team, python):
    """(user "shared", project "partner", the share of team/python with partner)."""
    return add_partner(team, stream="python")


@pytest.fixture
def service_account(team):
    """(service account "ci" of team, editor, and its token's secret)."""
    return add_service_account(team)


@pytest.fixture
def api_for(personas):
    """`api_for(user)` or `api_for(secret=...)`: an API client with a bearer token."""

    def make(user=None, *, secret: str = "", user_agent: str = "") -> APIClient:
        if user is not None:
            _, secret = token_create(by=acting(user, "task"), name="tests")
        api = APIClient()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if user_agent:
            headers["HTTP_USER_AGENT"] = user_agent
        api.credentials(**headers)
        return api

    return make


@pytest.fixture
def web_as(client, personas):
    """`web_as(user)`: the Django test client signed in as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
