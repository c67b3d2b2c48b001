"""Image details: platforms of an index, config, labels, layers, pull specs."""

from __future__ import annotations

import pytest

from imagestreams.models import ImageManifest
from imagestreams.models.streams import ReferencePolicy
from tests.factories import ImageFactory, TagEventFactory, TagFactory
from tests.web.conftest import page_text

pytestmark = pytest.mark.django_db

INDEX = "application/vnd.oci.image.index.v1+json"


def url(digest: str) -> str:
    return f"/p/team/is/python/images/{digest}/"


@pytest.fixture
def image(project):
    image = ImageFactory(
        labels={"org.opencontainers.image.version": "3.6.15"},
        env=["PYTHON_VERSION=3.6.15"],
        cmd=["python3"],
        entrypoint=["/entry.sh"],
        exposed_ports=["8080/tcp"],
        user="1001",
        working_dir="/app",
        layers=[
            {"digest": "sha256:" + "a" * 64, "size": 2_500_000, "media_type": "gzip"},
            {"digest": "sha256:" + "b" * 64, "size": 1_000, "media_type": "gzip"},
        ],
        size=2_501_500,
    )
    tag = TagFactory(stream__project=project, stream__name="python", name="3.6")
    TagEventFactory(tag=tag, image=image)
    return image


def test_an_image_shows_its_config_labels_and_layers(vera, image):
    html = page_text(vera.get(url(image.digest)))
    assert "org.opencontainers.image.version" in html and "3.6.15" in html
    assert "PYTHON_VERSION=3.6.15" in html
    assert "/entry.sh" in html and "python3" in html and "8080/tcp" in html
    assert "2 layers, 2.4\xa0MB compressed, base first." in html
    assert "linux/amd64" in html


def test_pull_specs_by_digest_and_by_tag_are_copyable(vera, image, settings):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.local:5000"
    html = page_text(vera.get(url(image.digest)))
    assert f'data-copy="quay.io/example/app@{image.digest}"' in html
    assert f'data-copy="registry.local:5000/team/python@{image.digest}"' in html
    assert 'data-copy="registry.local:5000/team/python:3.6"' in html
    assert 'data-copy="quay.io/example/app:latest"' in html  # the upstream tag
    assert "Current image of:" in html


def test_each_tag_resolves_through_its_reference_policy(vera, image, settings):
    settings.INTERNAL_REGISTRY_HOSTNAME = "registry.local:5000"
    html = page_text(vera.get(url(image.digest)))
    source = html[html.index("python:3.6 resolves to") :]
    assert source.index(f"quay.io/example/app@{image.digest}") < source.index("</div>")
    tag = image.tag_events.get().tag
    tag.reference_policy = ReferencePolicy.LOCAL
    tag.save()
    html = page_text(vera.get(url(image.digest)))
    local = html[html.index("python:3.6 resolves to") :]
    assert local.index(f"registry.local:5000/team/python@{image.digest}") < local.index("</div>")


def test_a_digest_prefix_finds_the_image(vera, image):
    assert vera.get(url(image.digest[7:19])).status_code == 200


def test_an_index_lists_its_platforms_and_each_platform_links_back(vera, project):
    index = ImageFactory(media_type=INDEX, os="", architecture="")
    children = []
    for position, arch in enumerate(["amd64", "arm64"]):
        child = ImageFactory(architecture=arch)
        children.append(child)
        ImageManifest.objects.create(
            parent=index,
            child=child,
            position=position,
            media_type="m",
            os="linux",
            architecture=arch,
        )
    TagEventFactory(tag=TagFactory(stream__project=project, stream__name="python"), image=index)
    html = page_text(vera.get(url(index.digest)))
    assert "multi-platform index" in html
    assert f'href="{url(children[1].digest)}"' in html
    assert "linux/arm64" in html
    child_html = page_text(vera.get(url(children[1].digest)))
    assert "One platform of" in child_html
    assert f'href="{url(index.digest)}"' in child_html


def test_an_image_of_another_stream_is_not_found(vera, image, project):
    other = TagEventFactory(tag=TagFactory(stream__project=project, stream__name="other"))
    assert vera.get(url(other.image.digest)).status_code == 404
    assert vera.get(url("sha256:" + "0" * 64)).status_code == 404


def test_outsiders_get_not_found(charlie, image):
    assert charlie.get(url(image.digest)).status_code == 404
