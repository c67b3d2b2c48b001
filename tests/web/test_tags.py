"""A tag's page: history timeline, rollback and comparison of two entries."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageManifest, Tag
from imagestreams.models.streams import EventCause, SourceKind
from tests.factories import ImageFactory, TagEventFactory, TagFactory
from tests.web.conftest import HTMX, page_text, text_of

pytestmark = pytest.mark.django_db

PAGE = "/p/team/is/python/tags/3.6/"


def layer(name: str, size: int) -> dict:
    return {"digest": f"sha256:{name * 64}"[:71], "size": size, "media_type": "gzip"}


@pytest.fixture
def history(project):
    """3.6 with [v3, v2, v1] (newest first), each image a little different."""
    tag = TagFactory(stream__project=project, stream__name="python", name="3.6", scheduled=True)
    base = layer("a", 1000)
    images = [
        ImageFactory(
            labels={"version": "1", "vendor": "acme"},
            env=["PATH=/bin", "PY=3.6.1"],
            cmd=["python3"],
            exposed_ports=["8080/tcp"],
            layers=[base],
            size=1000,
        ),
        ImageFactory(
            labels={"version": "2", "vendor": "acme", "extra": "yes"},
            env=["PATH=/bin", "PY=3.6.2"],
            cmd=["python3", "-u"],
            exposed_ports=["8080/tcp", "9090/tcp"],
            layers=[base, layer("b", 500)],
            size=1500,
        ),
        ImageFactory(labels={"version": "3"}, layers=[layer("c", 200)], size=200),
    ]
    events = [
        TagEventFactory(tag=tag, image=image, actor="alice" if n else "")
        for n, image in enumerate(images)
    ]
    return tag, events


def test_the_history_is_a_timeline_newest_first(vera, history):
    _, (v1, v2, v3) = history
    html = page_text(vera.get(PAGE))
    positions = [html.index(f'id="entry-{event.pk}"') for event in (v3, v2, v1)]
    assert positions == sorted(positions)
    assert "3 entries, newest first" in html
    assert "by alice" in html
    assert "by system" in html  # an import without a person behind it
    assert "updates automatically from registry quay.io/example/app:latest" in text_of(html)


def test_viewers_cannot_roll_back(vera, history):
    html = vera.get(PAGE).content.decode()
    assert "Roll back to this" not in html
    tag, (v1, _, _) = history
    response = vera.post(f"{PAGE}rollback", {"to": v1.image.digest})
    assert response.status_code == 403
    assert tag.events.count() == 3


def test_outsiders_get_not_found(charlie, history):
    _, (v1, _, _) = history
    assert charlie.get(PAGE).status_code == 404
    assert charlie.post(f"{PAGE}rollback", {"to": v1.image.digest}).status_code == 404
    assert charlie.get("/p/team/is/python/tags/nope/").status_code == 404


def test_every_earlier_image_can_be_rolled_back_to_in_one_click(eddie, history):
    tag, (v1, _, _) = history
    html = eddie.get(PAGE).content.decode()
    assert html.count("Roll back to this") == 2  # not to the current image
    response = eddie.post(f"{PAGE}rollback", {"to": v1.image.digest}, headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<section id="tag-main"')
    assert f"Tag python:3.6 rolled back to {v1.image.digest}." in html
    assert "It no longer follows quay.io/example/app:latest (scheduled)" in html
    head = tag.events.first()
    assert (head.image, head.cause, head.actor) == (v1.image, EventCause.ROLLBACK, "eddie")
    tag.refresh_from_db()
    assert tag.from_kind == SourceKind.IMAGE_STREAM_IMAGE
    assert not tag.scheduled
    assert "4 entries" in html


def test_without_javascript_a_rollback_returns_to_the_tag_page(eddie, history):
    tag, (v1, _, _) = history
    response = eddie.post(f"{PAGE}rollback", {"to": v1.image.digest[7:19]})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert tag.events.first().image == v1.image


def test_a_rollback_to_an_unknown_image_is_explained(eddie, history):
    tag, _ = history
    response = eddie.post(f"{PAGE}rollback", {"to": "sha256:0000"}, headers=HTMX)
    assert '"sha256:0000" is not an earlier image of tag "python:3.6"' in page_text(response)
    assert tag.events.count() == 3


def test_two_entries_are_compared_side_by_side(vera, history):
    _, (v1, v2, _) = history
    response = vera.get(f"{PAGE}?a={v1.pk}&b={v2.pk}", headers=HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<div id="comparison"')
    assert "1000\xa0bytes → 1.5\xa0KB" in html
    assert "+500\xa0bytes" in html
    assert "1 layer added, 0 removed, 1 shared" in html
    labels = html[html.index("<h3>Labels</h3>") : html.index("<h3>Environment</h3>")]
    assert '<tr class="added">' in labels and "extra" in labels
    assert '<tr class="changed">' in labels
    assert "1 unchanged" in labels  # vendor
    env = html[html.index("<h3>Environment</h3>") : html.index("<h3>Exposed ports</h3>")]
    assert "3.6.1" in env and "3.6.2" in env
    assert "python3 -u" in html
    ports = html[html.index("<h3>Exposed ports</h3>") :]
    assert '<li class="added">' in ports and "9090/tcp" in ports


def test_the_order_of_the_two_entries_does_not_matter(vera, history):
    _, (v1, v2, _) = history
    forward = vera.get(f"{PAGE}?a={v1.pk}&b={v2.pk}", headers=HTMX).content
    backward = vera.get(f"{PAGE}?a={v2.pk}&b={v1.pk}", headers=HTMX).content
    assert forward == backward


def test_removed_layers_and_a_smaller_image_are_shown(vera, history):
    _, (_, v2, v3) = history
    html = page_text(vera.get(f"{PAGE}?a={v2.pk}&b={v3.pk}", headers=HTMX))
    assert "1 layer added, 2 removed, 0 shared" in html
    assert "\N{MINUS SIGN}1.3\xa0KB" in html
    assert '<tr class="removed">' in html  # labels gone in v3


def test_a_comparison_without_javascript_is_part_of_the_page(vera, history):
    _, (v1, _, v3) = history
    html = page_text(vera.get(f"{PAGE}?a={v1.pk}&b={v3.pk}"))
    assert "<html" in html
    assert 'id="tag-main"' in html
    assert "Size and layers" in html


def test_comparing_an_entry_with_itself_or_another_tag_is_refused(vera, history):
    _, (v1, _, _) = history
    html = page_text(vera.get(f"{PAGE}?a={v1.pk}&b={v1.pk}", headers=HTMX))
    assert "choose two different history entries to compare" in html
    other = TagEventFactory(tag=TagFactory(stream=v1.tag.stream, name="other"))
    html = page_text(vera.get(f"{PAGE}?a={v1.pk}&b={other.pk}", headers=HTMX))
    assert 'history entry not found in tag "3.6"' in html
    html = page_text(vera.get(f"{PAGE}?a=x&b=", headers=HTMX))
    assert "Choose two history entries to compare" in html


def test_indexes_are_compared_platform_by_platform(vera, project):
    tag = TagFactory(stream__project=project, stream__name="python", name="3.6")
    for version in ("1", "2"):
        index = ImageFactory(
            media_type="application/vnd.oci.image.index.v1+json", os="", architecture=""
        )
        for position, arch in enumerate(["arm64", "amd64"]):
            child = ImageFactory(
                architecture=arch, labels={"version": version}, size=100 * int(version)
            )
            ImageManifest.objects.create(
                parent=index,
                child=child,
                position=position,
                media_type="m",
                os="linux",
                architecture=arch,
            )
        TagEventFactory(tag=tag, image=index)
    old, new = list(tag.events.order_by("id"))
    html = page_text(vera.get(f"{PAGE}?a={old.pk}&b={new.pk}", headers=HTMX))
    assert "comparing the linux/amd64 images" in html
    assert "100\xa0bytes → 200\xa0bytes" in html


def test_a_long_history_shows_the_newest_entries_first_and_offers_all(vera, history):
    tag, _ = history
    for _ in range(60):
        TagEventFactory(tag=tag)
    html = vera.get(PAGE).content.decode()
    assert html.count('class="timeline-entry') == 50
    assert "Show all 63 entries" in html
    assert vera.get(f"{PAGE}?all=1").content.decode().count('class="timeline-entry') == 63


def test_a_tag_still_importing_polls_until_the_import_is_done(vera, project):
    tag = TagFactory(stream__project=project, stream__name="python", name="3.6", generation=3)
    html = vera.get(PAGE).content.decode()
    assert "An import of quay.io/example/app:latest is in progress" in html
    assert f'hx-get="{PAGE}"' in html
    Tag.objects.filter(pk=tag.pk).update(generation=1)
    TagEventFactory(tag=tag, generation=1)
    html = vera.get(PAGE, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section id="tag-main"')
    assert "in progress" not in html


def test_the_page_offers_the_matching_cli_commands(vera, history):
    _, (_, v2, _) = history
    html = vera.get(PAGE).content.decode()
    assert f"isctl rollback python:3.6 --to {v2.image.digest}" in html
    assert "isctl import-image python:3.6" in html
    assert "isctl tag -d python:3.6" in html
