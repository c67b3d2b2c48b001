"""`isctl tag-policy` against a live server and a real registry."""

from __future__ import annotations

import pytest

from imagestreams.models import Tag
from tests.cli.live import LIVE, login, ok

pytestmark = LIVE


@pytest.fixture
def server(live_server, team) -> str:
    return live_server.url


@pytest.fixture
def releases(registry, pusher, unique_repo):
    client = pusher(registry)
    for tag in ("1.0.0", "1.4.2", "2.0.0"):
        client.push_image(unique_repo, tag, text=tag)
    return f"{registry.host}/{unique_repo}"


def test_a_tag_follows_the_newest_release_in_a_range(isctl, server, releases):
    login(isctl, server, "editor")
    ok(isctl("import-image", "app:stable", f"--from={releases}:1.0.0", "--confirm", "--insecure"))
    out = ok(isctl("tag-policy", "app:stable", "--semver", ">=1.0.0 <2.0.0"))
    assert out.endswith("now at 1.4.2.\n")
    tag = Tag.objects.get(name="stable")
    assert (tag.from_name, tag.scheduled, tag.policy_tag) == (f"{releases}:1.4.2", True, "1.4.2")

    out = ok(isctl("tag-policy", "app:stable", "--remove"))
    assert out == "Tag app:stable follows no policy.\n"


def test_bad_combinations_are_refused_before_any_request(isctl, server):
    result = isctl("tag-policy", "app:stable", "--semver", "^1", "--order", "desc")
    assert result.code == 2
    assert "--order applies to --numerical and --alphabetical only" in result.err
    result = isctl("tag-policy", "app:stable", "--numerical", "--extract", "$ts")
    assert result.code == 2


def test_a_rule_matching_nothing_is_explained(isctl, server, releases):
    login(isctl, server, "editor")
    ok(isctl("import-image", "app:stable", f"--from={releases}:1.0.0", "--confirm", "--insecure"))
    result = isctl("tag-policy", "app:stable", "--semver", ">=5")
    assert result.code == 1
    assert result.err.startswith("error: ")
    assert Tag.objects.get(name="stable").from_name == f"{releases}:1.0.0"
