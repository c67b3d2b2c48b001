"""The integrated registry in token mode: our token endpoint decides who may
pull and push, by project role, and skopeo/docker clients obey it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from imagestreams.access import acting
from imagestreams.models import ApiToken
from imagestreams.services.projects import membership_set, project_create
from tests.registry_lab.images import PushError
from tests.registry_lab.registry import RegistryProcess, TokenAuth
from tests.registry_lab.skopeo import SkopeoError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.registry]
PASSWORD = "correct-horse-battery"


@pytest.fixture
def integrated_registry(live_server, token_keys, settings, tmp_path):
    auth = TokenAuth(
        realm=f"{live_server.url}/registry/token",
        service=settings.REGISTRY_TOKEN_SERVICE,
        issuer=settings.REGISTRY_TOKEN_ISSUER,
        rootcertbundle=token_keys,
    )
    with RegistryProcess(tmp_path / "registry", token=auth) as registry:
        yield registry


@pytest.fixture
def team():
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    bob = users.create_user("bob", password=PASSWORD)
    users.create_user("charlie", password=PASSWORD)
    project = project_create(name="team", by=acting(alice, "task"))
    membership_set(project=project, user=bob, role="viewer")
    return project


def test_an_editor_pushes_and_a_viewer_pulls(integrated_registry, team, pusher, skopeo):
    pushed = pusher(integrated_registry, creds=("alice", PASSWORD)).push_image("team/app", "1")
    raw = skopeo.inspect_raw(f"{integrated_registry.host}/team/app:1", creds=("bob", PASSWORD))
    assert pushed.manifest.data == raw


def test_a_viewer_may_not_push(integrated_registry, team, pusher):
    with pytest.raises(PushError):
        pusher(integrated_registry, creds=("bob", PASSWORD)).push_image("team/app", "1")


def test_outsiders_and_anonymous_users_may_not_pull(integrated_registry, team, pusher, skopeo):
    pusher(integrated_registry, creds=("alice", PASSWORD)).push_image("team/app", "1")
    reference = f"{integrated_registry.host}/team/app:1"
    with pytest.raises(SkopeoError):
        skopeo.inspect_raw(reference, creds=("charlie", PASSWORD))
    with pytest.raises(SkopeoError):
        skopeo.inspect_raw(reference)


def test_an_api_token_works_as_the_password(integrated_registry, team, pusher):
    raw, prefix, digest = ApiToken.generate()
    ApiToken.objects.create(
        user=team.memberships.get(role="admin").user, name="ci", key_prefix=prefix, key_hash=digest
    )
    pushed = pusher(integrated_registry, creds=("alice", raw)).push_image("team/app", "2")
    assert pushed.digest.startswith("sha256:")
    assert ApiToken.objects.get().last_used_at is not None


def test_a_wrong_password_is_refused(live_server, token_keys, team, client):
    import base64

    header = "Basic " + base64.b64encode(b"alice:wrong").decode()
    response = client.get(
        "/registry/token?service=x&scope=repository:team/app:pull", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401


def test_the_grant_is_limited_to_the_role(token_keys, team, client, settings):
    import base64

    import jwt

    header = "Basic " + base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    response = client.get(
        "/registry/token",
        {"service": settings.REGISTRY_TOKEN_SERVICE, "scope": "repository:team/app:pull,push"},
        HTTP_AUTHORIZATION=header,
    )
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["access"] == [{"type": "repository", "name": "team/app", "actions": ["pull"]}]
    assert claims["sub"] == "bob"
    assert isinstance(claims["aud"], str) and isinstance(claims["exp"], int)


@pytest.mark.parametrize(
    "name",
    [
        "team/app%00",
        "team/app%0A",
        "team/",
        "team/app%2f..",
        "team/..",
        "team/App",
        "team/app/",
        "team//app",
        "/team/app",
        "team/app%20",
        "team%0A/app",
        "team/-app",
    ],
)
def test_nothing_is_granted_for_a_name_that_is_not_a_repository_path(
    token_keys, team, client, settings, name
):
    import base64

    import jwt

    header = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    response = client.get(
        f"/registry/token?service={settings.REGISTRY_TOKEN_SERVICE}"
        f"&scope=repository:{name}:pull,push,delete",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 200
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["access"] == []


def test_a_valid_name_is_granted_next_to_an_invalid_one(token_keys, team, client, settings):
    import base64

    import jwt

    header = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    response = client.get(
        f"/registry/token?service={settings.REGISTRY_TOKEN_SERVICE}"
        "&scope=repository:team/app%00:pull&scope=repository:team/my-app_1.x:pull",
        HTTP_AUTHORIZATION=header,
    )
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["access"] == [
        {"type": "repository", "name": "team/my-app_1.x", "actions": ["pull"]}
    ]
