"""Imports from the pages against a real Distribution registry."""

from __future__ import annotations

from unittest import mock

import pytest

from imagestreams.models import AuditEvent, Tag
from imagestreams.tasks import imports_reconcile_pending, tag_import_task
from tests.web.conftest import HTMX, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

OPTIONS = {"reference_policy": "Source", "import_mode": "Legacy", "insecure": "on"}


def test_an_editor_imports_an_image_into_a_new_stream(
    eddie, project, registry, pusher, unique_repo
):
    pushed = pusher(registry).push_image(unique_repo, "3.6", labels={"v": "1"})
    data = {"target": "python:3.6", "from_image": pushed.reference, **OPTIONS}
    response = eddie.post("/p/team/import", data, headers=HTMX)
    assert response["HX-Redirect"] == "/p/team/is/python/"
    html = page_text(eddie.get("/p/team/is/python/"))
    assert "imagestream/python imported." in html
    assert pushed.digest[7:19] in html
    tag = Tag.objects.get(stream__name="python", name="3.6")
    assert tag.events.get().actor == "eddie"


def test_a_failed_first_import_creates_nothing_and_explains(eddie, project, registry, unique_repo):
    data = {"target": "python:3.6", "from_image": f"{registry.host}/{unique_repo}:nope", **OPTIONS}
    html = page_text(eddie.post("/p/team/import", data, headers=HTMX))
    assert "import failed, image stream not created" in html
    assert not Tag.objects.exists()


def test_import_now_picks_up_a_repush_as_the_person_who_asked(
    eddie, project, registry, pusher, unique_repo, django_capture_on_commit_callbacks
):
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    eddie.post("/p/team/import", {"target": "app:1", "from_image": first.reference, **OPTIONS})
    tag = Tag.objects.get(name="1")

    with django_capture_on_commit_callbacks(execute=True):
        response = eddie.post("/p/team/is/app/tags/1/import", headers=HTMX)
    assert "Import of app:1 requested." in page_text(response)
    assert tag.events.count() == 1  # the same image: no new entry

    second = client.push_image(unique_repo, "1", text="two")
    with django_capture_on_commit_callbacks(execute=True):
        eddie.post("/p/team/is/app/tags/1/import", headers=HTMX)
    html = page_text(eddie.get("/p/team/is/app/"))
    assert second.digest[7:19] in html
    events = list(tag.events.select_related("image"))
    assert [e.image.digest for e in events] == [second.digest, first.digest]
    assert events[0].actor == "eddie"
    audit = AuditEvent.objects.filter(action="tag.import").order_by("-id").first()
    assert (audit.actor, audit.interface) == ("eddie", "web")


def test_import_now_with_the_broker_down_is_kept_and_done_by_the_pending_loop(
    eddie, project, registry, pusher, unique_repo, django_capture_on_commit_callbacks
):
    client = pusher(registry)
    first = client.push_image(unique_repo, "1", text="one")
    eddie.post("/p/team/import", {"target": "app:1", "from_image": first.reference, **OPTIONS})
    second = client.push_image(unique_repo, "1", text="two")

    with (
        mock.patch.object(tag_import_task, "apply_async", side_effect=OSError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = eddie.post("/p/team/is/app/tags/1/import", headers=HTMX)
    assert response.status_code == 200
    assert "Import of app:1 requested." in page_text(response)

    with mock.patch.object(tag_import_task, "delay", side_effect=tag_import_task):
        assert imports_reconcile_pending() == 1
    head = Tag.objects.get(name="1").events.select_related("image").first()
    assert (head.image.digest, head.actor) == (second.digest, "eddie")


def test_a_tag_added_from_an_external_image_is_imported(
    eddie, project, registry, pusher, unique_repo, django_capture_on_commit_callbacks
):
    eddie.post("/p/team/streams/new", {"name": "app"})
    pushed = pusher(registry).push_image(unique_repo, "2")
    data = {"name": "2", "kind": "docker", "source": pushed.reference, **OPTIONS}
    with django_capture_on_commit_callbacks(execute=True):
        eddie.post("/p/team/is/app/tags/new", data, headers=HTMX)
    assert Tag.objects.get(name="2").events.get().image.digest == pushed.digest
