"""Issue 3's acceptance walk-through (the article's "Practice"), step by step:
the real CLI, in-process, against a live server and a real Distribution
registry standing in for Docker Hub (plain HTTP, so `--insecure`).

Each test replays the steps before its own, then checks its step."""

from __future__ import annotations

import re

import pytest

from imagestreams.models import Tag
from tests.cli.live import LIVE, header, login, ok, sections, steady

pytestmark = LIVE


class Upstream:
    """What the registry holds: python-35-centos7:latest and python:3.6.0."""

    def __init__(self, registry, pusher, repo: str) -> None:
        client = pusher(registry)
        self.centos = f"{registry.host}/{repo}/centos/python-35-centos7"
        self.python = f"{registry.host}/{repo}/python"
        self.digest_35 = client.push_image(f"{repo}/centos/python-35-centos7", "latest").digest
        self.digest_36 = client.push_image(f"{repo}/python", "3.6.0", text="3.6.0").digest
        self.pinned_35 = f"{self.centos}@{self.digest_35}"
        self.pinned_36 = f"{self.python}@{self.digest_36}"


@pytest.fixture
def upstream(live_server, team, isctl, registry, pusher, unique_repo) -> Upstream:
    login(isctl, live_server.url)
    return Upstream(registry, pusher, unique_repo)


def import_35(isctl, upstream: Upstream) -> str:
    return ok(
        isctl("import-image", "python:3.5", f"--from={upstream.centos}", "--confirm", "--insecure")
    )


def tag_latest_from_35(isctl, upstream: Upstream) -> str:
    import_35(isctl, upstream)
    return ok(isctl("tag", "python:3.5", "python:latest"))


def tag_external_36(isctl, upstream: Upstream, *flags: str) -> str:
    return ok(isctl("tag", f"{upstream.python}:3.6.0", "python:3.6", "--insecure", *flags))


def describe_python(isctl) -> str:
    return steady(ok(isctl("describe", "is/python")))


def test_1_import_image_with_confirm_creates_the_stream(isctl, upstream):
    refused = isctl("import-image", "python:3.5", f"--from={upstream.centos}", "--insecure")
    assert refused.code == 1
    assert refused.err == (
        'error: no image stream named "python" exists, pass --confirm to create and import\n'
    )

    out = steady(import_35(isctl, upstream))
    assert out.startswith("imagestream/python imported\n\nName:\t\t\tpython\nNamespace:\t\tteam\n")
    assert sections(out)["3.5"] == (
        "3.5\n"
        f"  tagged from {upstream.centos}\n"
        "    will use insecure HTTPS or HTTP connections\n"
        "\n"
        f"  * {upstream.pinned_35}\n"
        "      AGE ago\n"
    )
    assert (
        f"\n\nImage Name:\tpython:3.5\nDocker Image:\t{upstream.pinned_35}\n"
        f"Name:\t\t{upstream.digest_35}\n"
    ) in out


def test_2_describe_is_shows_the_stream_as_the_article_does(isctl, upstream):
    import_35(isctl, upstream)
    described = describe_python(isctl)
    # As oc: the stream carries the time of the import that wrote it.
    checked = re.compile(r"(dockerRepositoryCheck=)\d{4}-\d\d-\d\dT[\d:]{8}Z")
    assert checked.sub(r"\1TIME", header(described)) == (
        "Name:\t\t\tpython\n"
        "Namespace:\t\tteam\n"
        "Created:\t\tAGE ago\n"
        "Labels:\t\t\t<none>\n"
        "Annotations:\t\topenshift.io/image.dockerRepositoryCheck=TIME\n"
        "Image Repository:\t<none>\n"
        "Image Lookup:\t\tlocal=false\n"
        "Unique Images:\t\t1\n"
        "Tags:\t\t\t1\n"
    )
    assert list(sections(described)) == ["3.5"]


def test_3_tagging_a_tag_gives_exactly_two_tags(isctl, upstream):
    out = tag_latest_from_35(isctl, upstream)
    assert out == f"Tag python:latest set to python@{upstream.digest_35}.\n"
    described = describe_python(isctl)
    assert "Unique Images:\t\t1\nTags:\t\t\t2\n" in header(described)
    assert list(sections(described)) == ["latest", "3.5"]
    # A permanent copy of the image 3.5 has now, not an alias of 3.5.
    assert sections(described)["latest"] == (
        "latest\n"
        f"  tagged from python@{upstream.digest_35}\n"
        "\n"
        f"  * {upstream.pinned_35}\n"
        "      AGE ago\n"
    )


def test_4_describe_istag_shows_the_image_of_the_tag(isctl, upstream):
    tag_latest_from_35(isctl, upstream)
    described = steady(ok(isctl("describe", "istag/python:latest")))
    assert described.startswith(
        f"Image Name:\t{upstream.digest_35}\n"
        f"Docker Image:\t{upstream.pinned_35}\n"
        f"Name:\t\t{upstream.digest_35}\n"
        "Created:\tAGE ago\n"
        "Image Size:\t"
    )
    for line in ["Image Created:\tAGE ago\n", "Author:\t\t<none>\n", "Arch:\t\tamd64\n"]:
        assert line in described
    assert "\nLayers:\t\t" in described


def test_5_tagging_an_external_image_adds_a_tag(isctl, upstream):
    tag_latest_from_35(isctl, upstream)
    out = tag_external_36(isctl, upstream)
    assert out == f"Tag python:3.6 set to {upstream.python}:3.6.0.\n"
    described = describe_python(isctl)
    assert list(sections(described)) == ["latest", "3.6", "3.5"]
    # The import ran when the tag was set (the task is eager here).
    assert sections(described)["3.6"] == (
        "3.6\n"
        f"  tagged from {upstream.python}:3.6.0\n"
        "    will use insecure HTTPS or HTTP connections\n"
        "\n"
        f"  * {upstream.pinned_36}\n"
        "      AGE ago\n"
    )
    assert "Unique Images:\t\t2\nTags:\t\t\t3\n" in header(described)


def test_6_tagging_latest_from_another_tag_moves_it(isctl, upstream):
    tag_latest_from_35(isctl, upstream)
    tag_external_36(isctl, upstream)
    out = ok(isctl("tag", "python:3.6", "python:latest"))
    assert out == f"Tag python:latest set to python@{upstream.digest_36}.\n"
    assert sections(describe_python(isctl))["latest"] == (
        "latest\n"
        f"  tagged from python@{upstream.digest_36}\n"
        "\n"
        f"  * {upstream.pinned_36}\n"
        "      AGE ago\n"
        f"    {upstream.pinned_35}\n"
        "      AGE ago\n"
    )


def test_7_scheduled_makes_the_tag_periodic_and_rerunning_without_it_stops_that(isctl, upstream):
    tag_latest_from_35(isctl, upstream)
    tag_external_36(isctl, upstream)

    out = tag_external_36(isctl, upstream, "--scheduled")
    assert out == f"Tag python:3.6 set to import {upstream.python}:3.6.0 periodically.\n"
    assert sections(describe_python(isctl))["3.6"].startswith(
        f"3.6\n  updates automatically from registry {upstream.python}:3.6.0\n"
    )
    assert Tag.objects.get(stream__name="python", name="3.6").scheduled

    out = tag_external_36(isctl, upstream)
    assert out == f"Tag python:3.6 set to {upstream.python}:3.6.0.\n"
    section = sections(describe_python(isctl))["3.6"]
    assert section.startswith(f"3.6\n  tagged from {upstream.python}:3.6.0\n")
    # Same upstream image: re-tagging added no history.
    assert section.count("AGE ago") == 1
    assert not Tag.objects.get(stream__name="python", name="3.6").scheduled


def test_8_tag_d_removes_the_tag(isctl, upstream):
    tag_latest_from_35(isctl, upstream)
    tag_external_36(isctl, upstream)
    out = ok(isctl("tag", "-d", "python:3.5"))
    assert out == "Deleted tag team/python:3.5.\n"
    assert list(sections(describe_python(isctl))) == ["latest", "3.6"]
    gone = isctl("describe", "istag/python:3.5")
    assert gone.code == 1
    assert gone.err.startswith("error: ")
    assert "python:3.5" in gone.err


def test_an_alias_folds_into_its_target(isctl, upstream):
    import_35(isctl, upstream)
    out = ok(isctl("tag", "--alias", "python:3.5", "python:latest"))
    assert out == "Tag python:latest set up to track python:3.5.\n"
    described = describe_python(isctl)
    assert list(sections(described)) == ["3.5"]
    assert sections(described)["3.5"].startswith("3.5 (latest)\n")
    assert "Tags:\t\t\t2\n" in header(described)
