"""Every page and action of the web UI for every persona, generated from one
table, like tests/api/test_authorization_matrix.py for the API.

The table must name every URL pattern of the web app (checked against the
URL configuration), and every method a route does not list must be refused
(405), so a new page or a new method without an entry fails the suite.

Personas: `anonymous` is sent to the sign-in page; `outsider` is signed in
but not in project "team"; `viewer`, `editor`, `admin` are its members;
`shared` is a member of project "partner", which "team" shares its stream
"python" with. Service accounts have tokens, not sessions: the API matrix
covers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, reverse

from imagestreams.access import acting, acting_system
from imagestreams.models import Tag
from imagestreams.services.teams import service_account_token_create
from imagestreams.services.tokens import token_create
from imagestreams.web import urls as web_urls
from triggers.models import Delivery
from triggers.services.deliveries import trigger_send_test
from triggers.services.triggers import trigger_create
from triggers.web import urls as trigger_urls

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "outsider", "viewer", "editor", "admin", "shared")
METHODS = ("get", "post")
LOGIN = 302  # to /login/?next=…


@dataclass
class World:
    users: dict
    account: object
    share: object
    delivery: Delivery


def own_token(world: World, persona: str) -> dict:
    token, _ = token_create(
        by=acting(world.users.get(persona, world.users["admin"]), "task"), name="old"
    )
    return {"token_id": token.pk}


def account_token(world: World, persona: str) -> dict:
    token, _ = service_account_token_create(account=world.account, name="old", by=acting_system())
    return {**ACCOUNT, "token_id": token.pk}


def the_share(world: World, persona: str) -> dict:
    return {**TEAM, "share_id": world.share.pk}


def the_delivery(world: World, persona: str) -> dict:
    return {**TRIGGER, "delivery": str(world.delivery.uuid)}


@dataclass(frozen=True)
class Page:
    route: str  # without the namespace ("web:" or "triggers:")
    method: str
    # A key of EXPECTED: who may use it.
    right: str
    ok: int
    kwargs: dict | Callable[[World, str], dict] = field(default_factory=dict)
    data: dict = field(default_factory=dict)


TEAM = {"project_name": "team"}
STREAM = {**TEAM, "stream_name": "python"}
TAG = {**STREAM, "tag_name": "3.6"}
REFERENCE_TAG = {**STREAM, "tag_name": "ref"}  # not importable: "import now" stays offline
TRIGGER = {**TEAM, "name": "hook"}
ACCOUNT = {**TEAM, "name": "ci"}
OLD_DIGEST = "sha256:" + "a" * 64

TABLE = [
    Page("projects", "get", "user", 200),
    Page("projects", "post", "user", 302, data={"name": "fresh"}),
    Page("tokens", "get", "user", 200),
    Page("tokens", "post", "user", 200, data={"name": "laptop"}),
    Page("token-revoke", "post", "user", 200, own_token),
    Page("project", "get", "view", 200, TEAM),
    Page("stream-create", "post", "edit", 302, TEAM, {"name": "ruby"}),
    # An empty form re-renders the page with its errors: the check was passed.
    Page("import-image", "post", "edit", 200, TEAM),
    Page("credentials", "get", "admin", 200, TEAM),
    Page(
        "credentials",
        "post",
        "admin",
        302,
        TEAM,
        {"registry": "quay.io", "username": "u", "password": "p"},
    ),
    # Trigger URLs and delivery logs often carry secrets: not even viewers see them.
    Page("triggers", "get", "triggers", 200, TEAM),
    Page("triggers", "post", "triggers", 200, TEAM),
    Page("trigger", "get", "triggers", 200, TRIGGER),
    Page("trigger-test", "post", "triggers", 302, TRIGGER),
    Page("trigger-enable", "post", "triggers", 302, TRIGGER),
    Page("trigger-delete", "get", "triggers", 200, TRIGGER),
    Page("trigger-delete", "post", "triggers", 302, TRIGGER),
    Page("delivery-resend", "post", "triggers", 302, the_delivery),
    Page("stream", "get", "view-stream", 200, STREAM),
    Page("tag-add", "get", "edit-stream", 200, STREAM),
    Page("tag-add", "post", "edit-stream", 200, STREAM),
    Page("tag", "get", "view-stream", 200, TAG),
    Page("tag-row", "get", "view-stream", 302, TAG),  # without htmx: back to the stream
    Page("tag-import", "post", "edit-stream", 302, REFERENCE_TAG),
    Page("tag-scheduled", "post", "edit-stream", 302, TAG, {"scheduled": "on"}),
    Page("tag-reference-policy", "post", "edit-stream", 302, TAG, {"reference_policy": "Local"}),
    Page("tag-delete", "get", "edit-stream", 200, TAG),
    Page("tag-delete", "post", "edit-stream", 302, TAG),
    Page("tag-rollback", "post", "edit-stream", 302, TAG, {"to": OLD_DIGEST}),
    Page("image", "get", "view-stream", 200, {**STREAM, "digest": OLD_DIGEST}),
    # Teams.
    Page("members", "get", "admin", 200, TEAM),
    Page("members", "post", "admin", 302, TEAM, {"username": "outsider", "role": "viewer"}),
    Page("member-role", "post", "admin", 302, {**TEAM, "username": "viewer"}, {"role": "editor"}),
    Page("member-remove", "post", "admin", 302, {**TEAM, "username": "editor"}),
    Page("service-accounts", "get", "admin", 200, TEAM),
    Page("service-accounts", "post", "admin", 302, TEAM, {"name": "deploy", "role": "viewer"}),
    Page("service-account", "get", "admin", 200, ACCOUNT),
    Page("service-account-role", "post", "admin", 302, ACCOUNT, {"role": "viewer"}),
    Page("service-account-delete", "post", "admin", 302, ACCOUNT),
    # The new token is shown in the response itself, never behind a redirect.
    Page("service-account-token-create", "post", "admin", 200, ACCOUNT, {"name": "deploy"}),
    Page("service-account-token-revoke", "post", "admin", 302, account_token),
    Page("sharing", "get", "admin", 200, TEAM),
    Page("sharing", "post", "admin", 302, TEAM, {"target_kind": "user", "target": "outsider"}),
    Page("share-revoke", "post", "admin", 302, the_share),
    Page("audit", "get", "admin", 200, TEAM),
    Page("audit-export", "get", "admin", 200, TEAM),
]

EXPECTED = {
    "user": {"anonymous": LOGIN},
    # The project and its project-level pages need membership.
    "view": {"anonymous": LOGIN, "outsider": 404, "shared": 404},
    "edit": {"anonymous": LOGIN, "outsider": 404, "shared": 404, "viewer": 403},
    "triggers": {"anonymous": LOGIN, "outsider": 404, "shared": 404, "viewer": 403},
    # One stream (its tags, images): a share lets its receivers see it, and
    # they are refused changes (403) rather than told it does not exist.
    "view-stream": {"anonymous": LOGIN, "outsider": 404},
    "edit-stream": {"anonymous": LOGIN, "outsider": 404, "viewer": 403, "shared": 403},
    "admin": {"anonymous": LOGIN, "outsider": 404, "shared": 404, "viewer": 403, "editor": 403},
}


def route_names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= route_names(pattern.url_patterns)
        else:
            assert isinstance(pattern, URLPattern)
            names.add(pattern.name)
    return names


TRIGGER_ROUTES = route_names(trigger_urls.urlpatterns)


def url_of(route: str, kwargs: dict) -> str:
    namespace = "triggers" if route in TRIGGER_ROUTES else "web"
    return reverse(f"{namespace}:{route}", kwargs=kwargs)


def kwargs_of(page: Page, world: World, persona: str) -> dict:
    return page.kwargs(world, persona) if callable(page.kwargs) else page.kwargs


@pytest.fixture
def world(personas, team, python, partner, service_account, settings):
    Tag.objects.create(stream=python.stream, name="ref", reference=True, from_name="x/y:1")
    # The test delivery goes to a loopback name, which the network guard
    # refuses before connecting: nothing leaves the machine. (Saving it
    # needs the operator's permission, which is then taken back.)
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    trigger = trigger_create(
        project=team,
        name="hook",
        stream="python",
        url="http://localhost:9/hook",
        by=acting_system(),
    )
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    delivery = trigger_send_test(trigger=trigger).delivery
    shared, _, share = partner
    return World({**personas, "shared": shared}, service_account[0], share, delivery)


def test_the_table_covers_every_page():
    assert {page.route for page in TABLE} == route_names(web_urls.urlpatterns) | TRIGGER_ROUTES


def test_every_persona_has_an_expectation_for_every_right():
    assert {page.right for page in TABLE} == set(EXPECTED)
    for right, exceptions in EXPECTED.items():
        assert set(exceptions) <= set(PERSONAS), right


@pytest.mark.parametrize("entry", TABLE, ids=lambda p: f"{p.method.upper()} {p.route}")
@pytest.mark.parametrize("persona", PERSONAS)
def test_access(entry, persona, world, client):
    if persona != "anonymous":
        client.force_login(world.users[persona])
    path = url_of(entry.route, kwargs_of(entry, world, persona))
    response = getattr(client, entry.method)(path, entry.data)
    expected = EXPECTED[entry.right].get(persona) or entry.ok
    assert response.status_code == expected, response.content[:500]
    if persona == "anonymous":
        assert response["Location"].startswith("/login/?next=")


ROUTES = sorted({page.route for page in TABLE})


@pytest.mark.parametrize("route", ROUTES)
def test_methods_not_in_the_table_are_refused(route, world, client):
    """So that a route accepting a method the table does not list fails."""
    client.force_login(world.users["admin"])
    listed = [page for page in TABLE if page.route == route]
    path = url_of(route, kwargs_of(listed[0], world, "admin"))
    for method in set(METHODS) - {page.method for page in listed}:
        assert getattr(client, method)(path).status_code == 405, method
