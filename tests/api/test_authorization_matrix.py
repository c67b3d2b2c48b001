"""Every endpoint for every persona, generated from one table.

The table must name every route of the API (checked against the URL
resolver), so a new endpoint without an entry here fails. Besides the
members of project "team" (tests.personas), two personas come from the teams
issue: `serviceaccount`, a service account of "team" with the editor role
acting through its token, and `shared`, a member of project "partner", which
"team" shares its stream "python" with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from imagestreams import urls as root_urls
from imagestreams.access import acting, acting_system
from imagestreams.api import urls as api_urls
from imagestreams.services.teams import service_account_token_create
from imagestreams.services.tokens import token_create
from tests.personas import PERSONAS as MEMBER_PERSONAS
from tests.teams.world import add_partner, add_service_account

pytestmark = pytest.mark.django_db

PERSONAS = (*MEMBER_PERSONAS, "serviceaccount", "shared")
ISTAG = {"project": "team", "istag": "python:3.6"}
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class World:
    users: dict  # persona -> user (no anonymous, no serviceaccount)
    account: object  # the service account "ci" of team
    account_secret: str
    share: object  # team's share of "python" with project "partner"


def own_token(world: World, persona: str) -> dict:
    """A token of the caller (the admin's for those who have none)."""
    owner = world.users.get(persona, world.users["admin"])
    token, _ = token_create(by=acting(owner, "task"), name="to revoke")
    return {"token_id": token.pk}


def account_token(world: World, persona: str) -> dict:
    token, _ = service_account_token_create(
        account=world.account, name="to revoke", by=acting_system()
    )
    return {"project": "team", "name": "ci", "token_id": token.pk}


def the_share(world: World, persona: str) -> dict:
    return {"project": "team", "share_id": world.share.pk}


@dataclass(frozen=True)
class Endpoint:
    route: str
    method: str
    # A key of EXPECTED: who may call it.
    right: str
    ok: int
    kwargs: dict | Callable[[World, str], dict] = field(default_factory=dict)
    body: dict | None = None


TEAM = {"project": "team"}
STREAM = {"project": "team", "name": "python"}
ACCOUNT = {"project": "team", "name": "ci"}

TABLE = [
    Endpoint("api-schema", "get", "public", 200),
    Endpoint("api-docs", "get", "public", 200),
    Endpoint("api-whoami", "get", "user", 200),
    Endpoint("api-tokens", "get", "person", 200),
    Endpoint("api-tokens", "post", "person", 201, body={"name": "ci"}),
    Endpoint("api-token", "delete", "person", 204, kwargs=own_token),
    Endpoint("api-projects", "get", "user", 200),
    Endpoint("api-projects", "post", "person", 201, body={"name": "fresh"}),
    Endpoint("api-project", "get", "view", 200, TEAM),
    Endpoint("api-streams", "get", "view", 200, TEAM),
    Endpoint("api-streams", "post", "edit", 201, TEAM, {"name": "ruby"}),
    Endpoint("api-stream", "get", "view-stream", 200, STREAM),
    Endpoint("api-stream", "patch", "edit-stream", 200, STREAM, {"lookup_local": True}),
    Endpoint("api-stream", "delete", "edit-stream", 204, STREAM),
    Endpoint("api-istags", "get", "view", 200, TEAM),
    Endpoint("api-istag", "get", "view-stream", 200, ISTAG),
    Endpoint("api-istag", "delete", "edit-stream", 200, ISTAG),
    Endpoint("api-istag-history", "get", "view-stream", 200, ISTAG),
    Endpoint("api-istag-rollback", "post", "edit-stream", 200, ISTAG, {}),
    # Not pinned: the service's 400 shows that the caller was let in.
    Endpoint("api-istag-unpin", "post", "edit-stream", 400, ISTAG, {}),
    Endpoint("api-istag-policy", "put", "edit-stream", 200, ISTAG, {"policy": None}),
    Endpoint(
        "api-isimage", "get", "view-stream", 200, {"project": "team", "isimage": "python@bbbb"}
    ),
    Endpoint(
        "api-tag", "post", "edit", 200, TEAM, {"source": "python:3.6", "destinations": ["python:x"]}
    ),
    Endpoint("api-untag", "post", "edit", 200, TEAM, {"destinations": ["python:3.6"]}),
    # Passing the permission check reaches the service, which needs --confirm:
    # a 400 from the service (not 403/404) shows that the caller was let in.
    Endpoint("api-imports", "post", "edit", 400, TEAM, {"target": "ruby:1"}),
    Endpoint("api-resolve", "get", "view-stream", 200, ISTAG),
    # Teams.
    Endpoint("api-shared-with-me", "get", "user", 200),
    Endpoint("api-shared-streams", "get", "view", 200, TEAM),
    Endpoint("api-members", "get", "admin", 200, TEAM),
    Endpoint("api-member", "put", "admin", 200, {**TEAM, "username": "viewer"}, {"role": "editor"}),
    Endpoint("api-member", "delete", "admin", 204, {**TEAM, "username": "editor"}),
    Endpoint("api-serviceaccounts", "get", "admin", 200, TEAM),
    Endpoint("api-serviceaccounts", "post", "admin", 201, TEAM, {"name": "deployer"}),
    Endpoint("api-serviceaccount", "get", "admin", 200, ACCOUNT),
    Endpoint("api-serviceaccount", "patch", "admin", 200, ACCOUNT, {"role": "viewer"}),
    Endpoint("api-serviceaccount", "delete", "admin", 204, ACCOUNT),
    Endpoint("api-serviceaccount-tokens", "get", "admin", 200, ACCOUNT),
    Endpoint("api-serviceaccount-tokens", "post", "admin", 201, ACCOUNT, {"name": "deploy"}),
    Endpoint("api-serviceaccount-token", "delete", "admin", 204, account_token),
    Endpoint("api-shares", "get", "admin", 200, TEAM),
    Endpoint("api-shares", "post", "admin", 201, TEAM, {"target_user": "outsider"}),
    Endpoint("api-share", "delete", "admin", 204, the_share),
    Endpoint("api-audit", "get", "admin", 200, TEAM),
    Endpoint("api-audit-export", "get", "admin", 200, TEAM),
    *[Endpoint("api-unknown", method, "public", 404) for method in METHODS],
]

EXPECTED = {
    "public": {},
    "user": {"anonymous": 401},
    # People only: service accounts may not create projects or user tokens.
    "person": {"anonymous": 401, "serviceaccount": 403},
    # Project-level reads and writes need membership; shares do not count.
    "view": {"outsider": 404, "shared": 404, "anonymous": 401},
    "edit": {"viewer": 403, "outsider": 404, "shared": 404, "anonymous": 401},
    # One stream: a share gives view access, so the shared member sees it
    # (200) and is refused changes (403) rather than told it does not exist.
    "view-stream": {"outsider": 404, "anonymous": 401},
    "edit-stream": {"viewer": 403, "shared": 403, "outsider": 404, "anonymous": 401},
    "admin": {
        "viewer": 403,
        "editor": 403,
        "serviceaccount": 403,
        "outsider": 404,
        "shared": 404,
        "anonymous": 401,
    },
}


def expected_status(endpoint: Endpoint, persona: str) -> int:
    return EXPECTED[endpoint.right].get(persona) or endpoint.ok


def api_routes() -> set[tuple[str, str]]:
    routes = set()
    # The JSON 404 of unknown /api/v1/ paths sits in the root URLs, after the
    # triggers' routes.
    unknown = [p for p in root_urls.urlpatterns if getattr(p, "name", "") == "api-unknown"]
    for pattern in [*api_urls.urlpatterns, *unknown]:
        assert isinstance(pattern, URLPattern)
        view_class = pattern.callback.view_class
        routes |= {(pattern.name, m) for m in METHODS if hasattr(view_class, m)}
    return routes


def test_the_table_covers_every_route_and_method():
    assert {(e.route, e.method) for e in TABLE} == api_routes()


def test_every_persona_has_an_expectation_for_every_right():
    for right, exceptions in EXPECTED.items():
        assert set(exceptions) <= set(PERSONAS), right


@pytest.fixture
def world(personas, team, python) -> World:
    account, secret = add_service_account(team)
    shared, _, share = add_partner(team, stream="python")
    return World({**personas, "shared": shared}, account, secret, share)


@pytest.fixture
def client_as(world) -> Callable[[str], APIClient]:
    def client(persona: str) -> APIClient:
        api = APIClient()
        if persona == "serviceaccount":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.account_secret}")
        elif persona != "anonymous":
            _, raw = token_create(by=acting(world.users[persona], "task"), name=f"{persona}-tests")
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api

    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", TABLE, ids=lambda e: f"{e.method.upper()} {e.route}")
def test_access(endpoint, persona, world, client_as):
    kwargs = endpoint.kwargs(world, persona) if callable(endpoint.kwargs) else endpoint.kwargs
    path = reverse(endpoint.route, kwargs=kwargs) if endpoint.route != "api-unknown" else ""
    path = path or "/api/v1/no/such/thing"
    response = getattr(client_as(persona), endpoint.method)(path, endpoint.body, format="json")
    expected = expected_status(endpoint, persona)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400 and endpoint.route not in ("api-schema", "api-docs"):
        assert set(response.json()) == {"detail", "code", "field"}
    if endpoint.route == "api-imports" and expected == 400:
        assert "pass --confirm to create and import" in response.json()["detail"]
    if endpoint.right == "person" and persona == "serviceaccount":
        assert "a service account may not" in response.json()["detail"]
