"""Registries allowed for import and blocked registries, enforced on
`import-image` and `tag` through the API, against a real registry, with
OpenShift's messages."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageStream, Tag
from tests.api.conftest import url

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

IMPORTS = url("projects/team/imports")
TAG = url("projects/team/tag")


@pytest.fixture
def pushed(registry, pusher, unique_repo):
    return pusher(registry).push_image(unique_repo, "1", text="allowed-registries")


def refused(response) -> dict:
    assert response.status_code == 400, response.content[:500]
    return response.json()


def test_an_import_from_a_registry_not_on_the_list_is_refused(
    editor_api, team, pushed, registry, operator_settings
):
    operator_settings(allowed_registries_for_import="quay.io\nregistry.example.com:5000")
    body = refused(
        editor_api.post(
            IMPORTS,
            {"target": "app:1", "from": pushed.reference, "confirm": True, "insecure": True},
        )
    )
    host = registry.host
    assert body["detail"] == (
        f'importing images from registry "{host}" is forbidden: registry "{host}" not '
        'allowed by whitelist: "quay.io:443", "registry.example.com:5000"'
    )
    assert not ImageStream.objects.exists()


def test_the_same_import_works_once_the_registry_is_allowed(
    editor_api, team, pushed, registry, operator_settings
):
    port = registry.host.rsplit(":", 1)[1]
    operator_settings(allowed_registries_for_import=f"quay.io\n127.0.0.?:{port}")
    response = editor_api.post(
        IMPORTS, {"target": "app:1", "from": pushed.reference, "confirm": True, "insecure": True}
    )
    assert response.status_code == 200, response.content[:500]
    assert response.json()["statuses"][0]["digest"] == pushed.digest


def test_a_repository_import_is_refused_before_listing_its_tags(
    editor_api, team, pushed, registry, operator_settings
):
    operator_settings(allowed_registries_for_import="quay.io")
    repository = pushed.reference.rsplit(":", 1)[0]
    body = refused(
        editor_api.post(
            IMPORTS,
            {"target": "app", "from": repository, "all": True, "confirm": True, "insecure": True},
        )
    )
    assert body["detail"].startswith(f'importing images from registry "{registry.host}"')


def test_tagging_from_a_registry_not_on_the_list_is_refused(
    editor_api, team, pushed, registry, operator_settings
):
    operator_settings(allowed_registries_for_import="quay.io")
    body = refused(
        editor_api.post(
            TAG, {"source": pushed.reference, "destinations": ["app:1"], "insecure": True}
        )
    )
    assert body["detail"] == (f'registry "{registry.host}" not allowed by whitelist: "quay.io:443"')
    assert body["field"] == "source"
    assert not Tag.objects.exists()


def test_a_pull_spec_the_stream_already_has_stays_allowed(
    editor_api, team, pushed, operator_settings
):
    tag = {"source": pushed.reference, "destinations": ["app:1"], "insecure": True}
    assert editor_api.post(TAG, tag).status_code == 200
    operator_settings(allowed_registries_for_import="quay.io")

    again = editor_api.post(TAG, {**tag, "scheduled": True})
    assert again.status_code == 200, again.content[:300]
    assert Tag.objects.get(stream__name="app", name="1").scheduled
    elsewhere = editor_api.post(TAG, {**tag, "destinations": ["other:1"]})
    assert elsewhere.status_code == 400


def test_the_integrated_registry_is_always_allowed(
    editor_api, team, pushed, registry, settings, operator_settings
):
    settings.INTERNAL_REGISTRY_HOSTNAME = registry.host
    operator_settings(allowed_registries_for_import="quay.io")
    response = editor_api.post(
        TAG, {"source": pushed.reference, "destinations": ["app:1"], "insecure": True}
    )
    assert response.status_code == 200, response.content[:300]


def test_an_import_from_a_blocked_registry_is_refused_on_every_port(
    editor_api, team, pushed, registry, operator_settings
):
    host = registry.host.rsplit(":", 1)[0]
    operator_settings(blocked_registries=f"quay.io\n{host}")
    body = refused(
        editor_api.post(
            IMPORTS,
            {"target": "app:1", "from": pushed.reference, "confirm": True, "insecure": True},
        )
    )
    assert body["detail"] == (
        f'importing images from registry "{registry.host}" is forbidden: registry '
        f'"{registry.host}" is blocked by the operator (blocked registries)'
    )
    assert not ImageStream.objects.exists()


def test_a_blocked_registry_wins_over_the_allowed_list(
    editor_api, team, pushed, registry, operator_settings
):
    port = registry.host.rsplit(":", 1)[1]
    operator_settings(
        allowed_registries_for_import=f"127.0.0.?:{port}", blocked_registries=f"127.0.0.*:{port}"
    )
    body = refused(editor_api.post(TAG, {"source": pushed.reference, "destinations": ["app:1"]}))
    assert body["detail"] == (
        f'registry "{registry.host}" is blocked by the operator (blocked registries)'
    )
    assert body["field"] == "source"


def test_a_blocked_registry_is_refused_even_for_a_pull_spec_the_stream_has(
    editor_api, team, pushed, registry, operator_settings
):
    tag = {"source": pushed.reference, "destinations": ["app:1"], "insecure": True}
    assert editor_api.post(TAG, tag).status_code == 200
    operator_settings(blocked_registries=registry.host)
    body = refused(editor_api.post(TAG, {**tag, "scheduled": True}))
    assert "is blocked by the operator" in body["detail"]
    assert not Tag.objects.get(stream__name="app", name="1").scheduled


def test_other_ports_of_a_blocked_host_stay_allowed(
    editor_api, team, pushed, registry, operator_settings
):
    operator_settings(blocked_registries="127.0.0.1:1")
    response = editor_api.post(
        IMPORTS, {"target": "app:1", "from": pushed.reference, "confirm": True, "insecure": True}
    )
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("source", ["busybox:1", "docker.io/library/busybox:1"])
def test_blocking_docker_io_blocks_references_without_a_registry(
    editor_api, team, operator_settings, source
):
    operator_settings(blocked_registries="docker.io")
    body = refused(editor_api.post(IMPORTS, {"target": "app:1", "from": source, "confirm": True}))
    assert body["detail"].endswith("is blocked by the operator (blocked registries)")
    assert not ImageStream.objects.exists()
