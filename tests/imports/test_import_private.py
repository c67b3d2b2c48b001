"""Private registries behind Basic and token authentication."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models import RegistryCredential, Tag
from imagestreams.services.credentials import credential_set

pytestmark = [pytest.mark.django_db, pytest.mark.registry]


def test_basic_auth_needs_the_project_credentials(
    basic_registry, pusher, unique_repo, run_import, project
):
    pushed = pusher(basic_registry).push_image(unique_repo, "1")
    from imagestreams.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="you may not have access"):
        run_import("app:1", from_image=pushed.reference, confirm=True)

    credential_set(
        project=project,
        registry=basic_registry.host,
        username=basic_registry.username,
        password=basic_registry.password,
        by=acting_system(),
    )
    [status] = run_import("app:1", from_image=pushed.reference, confirm=True).statuses
    assert status.digest == pushed.digest


def test_wrong_basic_credentials_say_so(basic_registry, pusher, unique_repo, run_import, project):
    pushed = pusher(basic_registry).push_image(unique_repo, "1")
    good = pusher(basic_registry).push_image(unique_repo, "2")
    credential_set(
        project=project,
        registry=basic_registry.host,
        username=basic_registry.username,
        password=basic_registry.password,
        by=acting_system(),
    )
    run_import("app:1", from_image=pushed.reference, confirm=True)
    credential_set(
        project=project,
        registry=basic_registry.host,
        username="x",
        password="bad",
        by=acting_system(),
    )
    [status] = run_import("app:1").statuses
    assert status.status == "Failure"
    assert status.reason == "Unauthorized"
    assert Tag.objects.get(name="1").events.count() == 1
    assert good.digest  # the registry itself still works


def test_token_auth_with_credentials(token_registry, pusher, unique_repo, run_import, project):
    pushed = pusher(token_registry).push_image(unique_repo, "1")
    reader, password = "lab-reader", token_registry.users["lab-reader"]
    credential_set(
        project=project,
        registry=token_registry.host,
        username=reader,
        password=password,
        by=acting_system(),
    )
    [status] = run_import("app:1", from_image=pushed.reference, confirm=True).statuses
    assert status.digest == pushed.digest


def test_rejected_token_credentials_fall_back_to_anonymous_pull(
    token_registry, pusher, unique_repo, run_import, project
):
    pushed = pusher(token_registry).push_image(unique_repo, "1")
    credential_set(
        project=project,
        registry=token_registry.host,
        username="nobody",
        password="x",
        by=acting_system(),
    )
    [status] = run_import("app:1", from_image=pushed.reference, confirm=True).statuses
    assert status.digest == pushed.digest


def test_credentials_are_encrypted_at_rest(project):
    credential_set(
        project=project,
        registry="quay.io",
        username="u",
        password="s3cret-value",
        by=acting_system(),
    )
    stored = RegistryCredential.objects.get()
    assert "s3cret-value" not in stored.password_encrypted
    assert stored.get_password() == "s3cret-value"


def test_a_recovered_upstream_with_the_same_image_clears_the_failure(
    basic_registry, pusher, unique_repo, run_import, project
):
    pushed = pusher(basic_registry).push_image(unique_repo, "1")
    good = {"registry": basic_registry.host, "username": basic_registry.username}
    credential_set(project=project, password=basic_registry.password, **good, by=acting_system())
    run_import("app:1", from_image=pushed.reference, confirm=True)
    credential_set(
        project=project,
        registry=basic_registry.host,
        username="x",
        password="bad",
        by=acting_system(),
    )
    assert run_import("app:1").statuses[0].status == "Failure"

    credential_set(project=project, password=basic_registry.password, **good, by=acting_system())
    [status] = run_import("app:1").statuses
    tag = Tag.objects.get(name="1")
    assert status.status == "Success"
    assert tag.condition_reason == ""
    assert tag.events.count() == 1
    assert not tag.import_pending(tag.events.first())
