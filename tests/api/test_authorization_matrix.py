"""Every endpoint for every persona, generated from one table.

The table must name every route of the API (checked against the URL
resolver), so a new endpoint without an entry here fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, reverse

from imagestreams.api import urls as api_urls
from imagestreams.services.tokens import token_create
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

ISTAG = {"project": "team", "istag": "python:3.6"}
METHODS = ("get", "post", "put", "patch", "delete")


def own_token(users: dict, persona: str) -> dict:
    """A token of the caller (the admin's for anonymous, who has none)."""
    token, _ = token_create(user=users.get(persona, users["admin"]), name="to revoke")
    return {"token_id": token.pk}


@dataclass(frozen=True)
class Endpoint:
    route: str
    method: str
    # public: anyone; user: any logged-in user; view/edit: the right in "team".
    right: str
    ok: int
    kwargs: dict | Callable[[dict, str], dict] = field(default_factory=dict)
    body: dict | None = None


TEAM = {"project": "team"}
STREAM = {"project": "team", "name": "python"}

TABLE = [
    Endpoint("api-schema", "get", "public", 200),
    Endpoint("api-docs", "get", "public", 200),
    Endpoint("api-whoami", "get", "user", 200),
    Endpoint("api-tokens", "get", "user", 200),
    Endpoint("api-tokens", "post", "user", 201, body={"name": "ci"}),
    Endpoint("api-token", "delete", "user", 204, kwargs=own_token),
    Endpoint("api-projects", "get", "user", 200),
    Endpoint("api-projects", "post", "user", 201, body={"name": "fresh"}),
    Endpoint("api-project", "get", "view", 200, TEAM),
    Endpoint("api-streams", "get", "view", 200, TEAM),
    Endpoint("api-streams", "post", "edit", 201, TEAM, {"name": "ruby"}),
    Endpoint("api-stream", "get", "view", 200, STREAM),
    Endpoint("api-stream", "patch", "edit", 200, STREAM, {"lookup_local": True}),
    Endpoint("api-stream", "delete", "edit", 204, STREAM),
    Endpoint("api-istags", "get", "view", 200, TEAM),
    Endpoint("api-istag", "get", "view", 200, ISTAG),
    Endpoint("api-istag", "delete", "edit", 200, ISTAG),
    Endpoint("api-istag-history", "get", "view", 200, ISTAG),
    Endpoint("api-istag-rollback", "post", "edit", 200, ISTAG, {}),
    Endpoint("api-istag-policy", "put", "edit", 200, ISTAG, {"policy": None}),
    Endpoint("api-isimage", "get", "view", 200, {"project": "team", "isimage": "python@bbbb"}),
    Endpoint(
        "api-tag", "post", "edit", 200, TEAM, {"source": "python:3.6", "destinations": ["python:x"]}
    ),
    Endpoint("api-untag", "post", "edit", 200, TEAM, {"destinations": ["python:3.6"]}),
    # Passing the permission check reaches the service, which needs --confirm:
    # a 400 from the service (not 403/404) shows that the caller was let in.
    Endpoint("api-imports", "post", "edit", 400, TEAM, {"target": "ruby:1"}),
    Endpoint("api-resolve", "get", "view", 200, ISTAG),
    *[Endpoint("api-unknown", method, "public", 404) for method in METHODS],
]

EXPECTED = {
    "public": {persona: None for persona in PERSONAS},
    "user": {"anonymous": 401},
    "view": {"outsider": 404, "anonymous": 401},
    "edit": {"viewer": 403, "outsider": 404, "anonymous": 401},
}


def expected_status(endpoint: Endpoint, persona: str) -> int:
    return EXPECTED[endpoint.right].get(persona) or endpoint.ok


def api_routes() -> set[tuple[str, str]]:
    routes = set()
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        view_class = pattern.callback.view_class
        routes |= {(pattern.name, m) for m in METHODS if hasattr(view_class, m)}
    return routes


def test_the_table_covers_every_route_and_method():
    assert {(e.route, e.method) for e in TABLE} == api_routes()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", TABLE, ids=lambda e: f"{e.method.upper()} {e.route}")
def test_access(endpoint, persona, python, personas, api_as):
    kwargs = endpoint.kwargs(personas, persona) if callable(endpoint.kwargs) else endpoint.kwargs
    path = reverse(endpoint.route, kwargs=kwargs) if endpoint.route != "api-unknown" else ""
    path = path or "/api/v1/no/such/thing"
    client = api_as(persona)
    response = getattr(client, endpoint.method)(path, endpoint.body, format="json")
    expected = expected_status(endpoint, persona)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400 and endpoint.route not in ("api-schema", "api-docs"):
        assert set(response.json()) == {"detail", "code", "field"}
    if endpoint.route == "api-imports" and expected == 400:
        assert "pass --confirm to create and import" in response.json()["detail"]
