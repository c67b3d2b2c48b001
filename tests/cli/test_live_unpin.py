"""`isctl unpin` against a live server and a real registry: a tag pinned by
tagging an exact image follows its upstream tag again, imported at once."""

from __future__ import annotations

import json

import pytest

from tests.cli.live import LIVE, login, ok, sections, steady

pytestmark = LIVE


@pytest.fixture
def server(live_server, team) -> str:
    return live_server.url


def test_a_pinned_tag_follows_its_upstream_again(isctl, server, registry, pusher, unique_repo):
    client = pusher(registry)
    first = client.push_image(unique_repo, "live", text="first").digest
    source = f"{registry.host}/{unique_repo}:live"
    login(isctl, server)
    ok(isctl("tag", source, "app:live", "--insecure", "--scheduled"))
    second = client.push_image(unique_repo, "live", text="second").digest
    ok(isctl("tag", f"app@{first}", "app:live"))  # pinned to the first image

    out = ok(isctl("unpin", "app:live"))
    assert out == f"Tag app:live follows {source} again; an import was requested.\n"
    described = steady(ok(isctl("describe", "is/app")))
    assert sections(described)["live"].startswith(
        f"live\n  updates automatically from registry {source}\n"
    )
    history = json.loads(ok(isctl("history", "app:live", "-o", "json")))["items"]
    assert [item["image"] for item in history][:2] == [second, first]

    result = isctl("unpin", "app:live")
    assert result.code == 1
    assert result.err == (
        'error: tag "live" is not pinned: it has no earlier upstream to follow again\n'
    )
