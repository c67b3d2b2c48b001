"""`isctl tag --alias` refuses an alias that would loop, against a live server
(issue 16: `3.6` used to lose its upstream and every import of it failed)."""

from __future__ import annotations

import pytest

from imagestreams.models import Tag
from tests.cli.live import LIVE, login, ok

pytestmark = LIVE


@pytest.fixture
def server(live_server, team) -> str:
    return live_server.url


def test_an_alias_back_to_its_own_target_is_refused(isctl, server, registry, pusher, unique_repo):
    pusher(registry).push_image(unique_repo, "3.6", text="3.6")
    login(isctl, server, "editor")
    source = f"{registry.host}/{unique_repo}:3.6"
    ok(isctl("import-image", "s:3.6", f"--from={source}", "--confirm", "--insecure"))
    assert ok(isctl("tag", "--alias", "s:3.6", "s:stable")) == (
        "Tag s:stable set up to track s:3.6.\n"
    )

    result = isctl("tag", "--alias", "s:stable", "s:3.6")

    assert result.code == 1
    assert result.err == (
        'error: cannot make "3.6" an alias of "stable": reference tag is circular '
        "(3.6 -> stable -> 3.6)\n"
    )
    tag = Tag.objects.get(stream__name="s", name="3.6")
    assert (tag.from_kind, tag.from_name) == ("DockerImage", source)
    assert "imagestream/s imported" in ok(isctl("import-image", "s:3.6", "--insecure"))
