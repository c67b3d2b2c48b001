"""`import-image --all`: a whole repository, capped, in OpenShift's priority order."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageStream, Tag

pytestmark = [pytest.mark.django_db, pytest.mark.registry]


def test_it_imports_the_highest_priority_tags_and_reports_the_rest(
    registry, pusher, unique_repo, run_import, settings
):
    settings.MAX_IMAGES_BULK_IMPORTED = 3
    client = pusher(registry)
    for tag in ["1.0.1", "latest", "1.1", "2.0", "dev", "1.0.0"]:
        client.push_image(unique_repo, tag, text=tag)
    result = run_import("app", from_image=f"{registry.host}/{unique_repo}", confirm=True, all=True)
    assert [s.tag for s in result.statuses] == ["latest", "2.0", "1.1"]
    assert result.additional_tags == ["1.0.1", "1.0.0", "dev"]
    stream = ImageStream.objects.get(name="app")
    assert stream.spec_repository == f"{registry.host}/{unique_repo}"
    assert sorted(stream.tags.values_list("name", flat=True)) == ["1.1", "2.0", "latest"]
    assert Tag.objects.get(name="2.0").from_name == f"{registry.host}/{unique_repo}:2.0"


def test_all_with_a_tag_is_refused(run_import):
    from imagestreams.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match='cannot specify a tag "1" as well as --all'):
        run_import("app:1", all=True, confirm=True)


def test_reimporting_all_refreshes_every_external_tag(registry, pusher, unique_repo, run_import):
    client = pusher(registry)
    for tag in ["1", "2"]:
        client.push_image(unique_repo, tag, text=tag)
    run_import("app", from_image=f"{registry.host}/{unique_repo}", confirm=True, all=True)
    repushed = client.push_image(unique_repo, "2", text="2b")
    result = run_import("app", all=True)
    assert {s.tag: s.status for s in result.statuses} == {"1": "Unchanged", "2": "Success"}
    assert Tag.objects.get(name="2").events.first().image.digest == repushed.digest
