"""Every model in the admin, and pages whose query count does not grow with
the number of rows (lists) or of related rows (inlines)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imagestreams.models import ApiToken, Image, ImageStream, Project, Tag
from tests.operations.builders import populate
from triggers.models import Trigger

pytestmark = pytest.mark.django_db

LISTS = [
    "imagestreams/project",
    "imagestreams/membership",
    "imagestreams/serviceaccount",
    "imagestreams/share",
    "imagestreams/auditevent",
    "imagestreams/apitoken",
    "imagestreams/registrycredential",
    "imagestreams/imagestream",
    "imagestreams/tag",
    "imagestreams/tagevent",
    "imagestreams/image",
    "imagestreams/imagemanifest",
    "triggers/trigger",
    "triggers/delivery",
    "triggers/deliveryattempt",
    "imagestreams/tagchange",
    "imagestreams/registryevent",
]


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def test_every_model_is_registered():
    models = [
        *apps.get_app_config("imagestreams").get_models(),
        *apps.get_app_config("triggers").get_models(),
    ]
    missing = [model.__name__ for model in models if not admin.site.is_registered(model)]
    assert missing == []


@pytest.mark.parametrize("page", LISTS)
def test_a_list_costs_the_same_number_of_queries_for_3_or_12_projects(operator, page):
    populate(3, prefix="a")
    few = queries_for(operator, f"/admin/{page}/")
    populate(9, prefix="b")
    many = queries_for(operator, f"/admin/{page}/")
    assert many == few


def test_change_pages_with_inlines_do_not_grow_with_related_rows(operator):
    populate(1, prefix="a")
    pages = {
        "stream": lambda: f"/admin/imagestreams/imagestream/{ImageStream.objects.get().pk}/change/",
        "tag": lambda: f"/admin/imagestreams/tag/{Tag.objects.get(name='1').pk}/change/",
        "trigger": lambda: f"/admin/triggers/trigger/{Trigger.objects.get().pk}/change/",
        "project": lambda: f"/admin/imagestreams/project/{Project.objects.get().pk}/change/",
    }
    for page in pages.values():
        operator.get(page())  # warm Django's own caches (content types)
    counts = {name: queries_for(operator, page()) for name, page in pages.items()}
    more_related(ImageStream.objects.get())
    assert {name: queries_for(operator, page()) for name, page in pages.items()} == counts


def more_related(stream: ImageStream) -> None:
    from django.contrib.auth import get_user_model

    from imagestreams.models import Membership
    from tests.factories import TagEventFactory, TagFactory
    from triggers.models import Delivery

    tag = stream.tags.get()
    for n in range(10):
        TagFactory(stream=stream, name=f"more{n}")
        TagEventFactory(tag=tag)
        Delivery.objects.create(trigger=Trigger.objects.get(), kind="test", status="succeeded")
        user = get_user_model().objects.create_user(f"member{n}")
        Membership.objects.create(project=stream.project, user=user)


def test_the_history_inline_shows_the_newest_entries_only(operator):
    from imagestreams.admin.base import INLINE_LIMIT
    from tests.factories import TagEventFactory

    populate(1)
    tag = Tag.objects.get()
    for _ in range(INLINE_LIMIT + 5):
        TagEventFactory(tag=tag)
    newest = tag.events.first().image.digest
    oldest = tag.events.last().image.digest
    page = operator.get(f"/admin/imagestreams/tag/{tag.pk}/change/").content.decode()
    assert newest in page
    assert oldest not in page
    assert f"history (newest {INLINE_LIMIT})" in page.lower()


def test_token_pages_never_show_the_hash(operator):
    populate(1)
    token = ApiToken.objects.filter(service_account__isnull=False).get()
    for page in (
        "/admin/imagestreams/apitoken/",
        f"/admin/imagestreams/apitoken/{token.pk}/change/",
    ):
        content = operator.get(page).content.decode()
        assert token.key_prefix in content
        assert token.key_hash not in content
        assert "key_hash" not in content


def test_images_show_their_platforms(operator):
    populate(1)
    index = Image.objects.get(media_type="application/vnd.oci.image.index.v1+json")
    page = operator.get(f"/admin/imagestreams/image/{index.pk}/change/").content.decode()
    for entry in index.manifests.select_related("child"):
        assert entry.child.digest in page
    assert "platforms (index entries)" in page.lower()
