"""CSRF on every form: a POST without the token is refused on every route of
the web pages, the sign-in forms and the Django admin, and by the API when
the caller is signed in with a session cookie. Only the machine endpoints
authenticated by a shared secret are exempt, and the list of them is fixed
here, so a new exempt route fails this test."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from imagestreams.models import Tag
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory

pytestmark = pytest.mark.django_db

# Machine-to-machine endpoints, authenticated by a shared secret or HMAC.
CSRF_EXEMPT = {
    "registry-notifications",
    "hooks:generic",
    "hooks:dockerhub",
    "hooks:quay",
    "hooks:harbor",
}
SAMPLES = {
    "project": "team",
    "stream": "app",
    "tag": "1",
    "name": "hook",
    "digest": "sha256:" + "a" * 64,
    "delivery": "00000000-0000-0000-0000-000000000000",
    "kind": "dockerhub",
    "token": "x" * 64,
    "istag": "app:1",
    "isimage": "app@sha256:" + "a" * 64,
    "object_id": "1",
    "app_label": "auth",
}


def routes(resolver: URLResolver | None = None, namespace: str = "", converters=None):
    """(name, {kwarg: converter}) of every named route, with the converters
    of the includes it sits under."""
    resolver = resolver or get_resolver()
    converters = converters or {}
    for entry in resolver.url_patterns:
        found = {**converters, **getattr(entry.pattern, "converters", {})}
        regex_groups = getattr(entry.pattern, "regex", None)
        if regex_groups is not None:
            for group in regex_groups.groupindex:
                found.setdefault(group, None)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry, inner, found)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", found


def sample_path(name: str, converters: dict) -> str:
    kwargs = {
        key: "1" if isinstance(conv, IntConverter) else SAMPLES.get(key, "x")
        for key, conv in converters.items()
    }
    return reverse(name, kwargs=kwargs or None)


def web_routes() -> list[tuple[str, str]]:
    found = []
    for name, converters in routes():
        if name.startswith("api-") or re.match(r"^(triggers-)?api", name):
            continue
        found.append((name, sample_path(name, converters)))
    return found


@pytest.fixture
def signed_in(personas, team) -> Client:
    personas["admin"].is_staff = personas["admin"].is_superuser = True
    personas["admin"].save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["admin"])
    stream = StreamFactory(project=team, name="app")
    TagEventFactory(tag=TagFactory(stream=stream, name="1"), image=ImageFactory())
    return client


def test_every_form_refuses_a_post_without_the_token(signed_in):
    checked = []
    for name, path in web_routes():
        response = signed_in.post(path, {"name": "x", "source": "app:1"})
        if name in CSRF_EXEMPT:
            assert response.status_code != 403 or b"CSRF" not in response.content, name
            continue
        assert response.status_code == 403, f"{name} ({path}) answered {response.status_code}"
        assert b"CSRF" in response.content, name
        checked.append(name)
    # The sweep really covers the team pages, the sign-in forms and the admin.
    assert {"web:tag-add", "web:tag-rollback", "web:credentials", "login", "logout"} <= set(checked)
    assert any(name.startswith("admin:") for name in checked)
    assert Tag.objects.count() == 1  # nothing was written


def test_the_same_post_with_the_token_goes_through(signed_in):
    """The control: the refusal above is the missing token, not the request."""
    page = signed_in.get(
        reverse("web:tag-add", kwargs={"project_name": "team", "stream_name": "app"})
    )
    token = page.cookies["csrftoken"].value
    response = signed_in.post(
        reverse("web:tag-add", kwargs={"project_name": "team", "stream_name": "app"}),
        {
            "kind": "istag",
            "source": "app:1",
            "name": "stable",
            "reference_policy": "Source",
            "import_mode": "Legacy",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code in (200, 302)
    assert Tag.objects.filter(name="stable").exists()


def test_the_api_refuses_session_posts_without_the_token(signed_in):
    response = signed_in.post(
        "/api/v1/projects/team/imagestreams", {"name": "other"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
