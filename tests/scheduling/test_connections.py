"""A worker process keeps its registry connections, endpoints and tokens from
batch to batch: an unchanged tag costs exactly one request, and a registry
that changed behind a remembered endpoint or token is discovered again."""

from __future__ import annotations

import pytest
from django.utils import timezone

from imagestreams.access import acting_system
from imagestreams.models import Tag
from imagestreams.scheduling.claims import enrol
from imagestreams.services.tagging import TagOptions, tag_set
from tests.factories import ProjectFactory
from tests.registry_lab.fixtures import TOKEN_USERS
from tests.registry_lab.registry import RegistryProcess
from tests.registry_lab.tokens import TokenServer
from tests.scheduling.conftest import INTERVAL, history

pytestmark = [pytest.mark.django_db, pytest.mark.registry]

PUSHER = next(iter(TOKEN_USERS))


@pytest.fixture
def follow(project):
    """`follow(source, "app:1", project=...)`: a scheduled, insecure tag."""

    def make(source: str, destination: str, *, into=None) -> Tag:
        [result] = tag_set(
            project=into or project,
            source=source,
            destinations=[destination],
            options=TagOptions(scheduled=True, insecure=True),
            by=acting_system(),
        )
        # What the next sweep does first: a first check time within one interval.
        enrol(now=timezone.now(), interval=INTERVAL, limit=1000)
        return result.tag

    return make


@pytest.fixture
def token_lab(tmp_path):
    """A token-auth registry of its own, with two token servers: `lab.first`
    signs its tokens at the start, `lab.second` can take over."""
    servers = [
        TokenServer(tmp_path / name, users=TOKEN_USERS, pushers=[PUSHER], anonymous_pull=True)
        for name in ("first", "second")
    ]
    for server in servers:
        server.start()
    registry = RegistryProcess(tmp_path / "registry", token=servers[0].auth_config())
    registry.users = dict(TOKEN_USERS)
    registry.start()
    registry.first, registry.second = servers
    yield registry
    registry.stop()
    for server in servers:
        server.stop()


@pytest.mark.parametrize("on_loop", [True, False], ids=["event-loop", "threads"])
def test_unchanged_tags_cost_one_request_each_across_batches_and_projects(
    registry, pusher, unique_repo, follow, run_due, requests_seen, settings, on_loop
):
    settings.SCHEDULED_BATCH_SIZE = 2
    settings.SCHEDULED_ASYNC_HEADS = on_loop
    client = pusher(registry)
    sources = [client.push_image(unique_repo, n, text=n).reference for n in "123"]
    other = ProjectFactory(name="other")
    tags = [follow(source, f"app:{n}") for n, source in enumerate(sources)]
    tags += [follow(source, f"app:{n}", into=other) for n, source in enumerate(sources)]
    run_due(INTERVAL)  # the first checks import every tag
    assert all(history(tag) for tag in tags)
    # One discovery for all threads and batches: a TLS attempt, then plain HTTP.
    assert requests_seen.counts["GET /v2/"] <= 2

    for round_ in (2, 3, 4):
        requests_seen.clear()
        reports = run_due(round_ * INTERVAL)
        assert len(reports) >= 3, "several batches"
        assert sum(report.unchanged for report in reports) == len(tags)
        # One manifest HEAD per tag, and nothing else: no /v2/ ping, no token.
        assert requests_seen.to("HEAD", "/manifests/") == len(tags)
        assert sum(requests_seen.counts.values()) == len(tags), requests_seen.counts
        assert requests_seen.on_loop["HEAD"] == (len(tags) if on_loop else 0)


def test_tokens_and_the_endpoint_of_a_token_registry_are_kept_across_batches(
    token_registry, pusher, unique_repo, follow, run_due, requests_seen, settings
):
    settings.SCHEDULED_BATCH_SIZE = 1
    pushed = [pusher(token_registry).push_image(unique_repo, n, text=n) for n in "12"]
    tags = [follow(p.reference, f"app:{n}") for n, p in enumerate(pushed)]
    run_due(INTERVAL)
    requests_seen.clear()

    reports = run_due(2 * INTERVAL)

    assert [report.unchanged for report in reports] == [1, 1]
    assert dict(requests_seen.counts) == {f"HEAD /v2/{unique_repo}/manifests/{n}": 1 for n in "12"}
    assert requests_seen.on_loop["HEAD"] == 2, "the event loop's HEADs carry the kept token"
    assert [history(tag) for tag in tags] == [[p.digest] for p in pushed]


def test_a_registry_that_changed_its_token_server_is_discovered_again(
    token_lab, pusher, follow, run_due, requests_seen
):
    client = pusher(token_lab)
    known = client.push_image("team/known", "1", text="known")
    new = client.push_image("team/new", "1", text="new")
    checked = follow(known.reference, "app:known")
    run_due(INTERVAL)  # remembers the endpoint (first realm) and a token
    assert history(checked) == [known.digest]

    # The registry now trusts another token server; the first one is gone.
    token_lab.token = token_lab.second.auth_config()
    token_lab.first.stop()
    token_lab.restart()
    added = follow(new.reference, "app:new")
    requests_seen.clear()

    reports = run_due(2 * INTERVAL)

    assert sum(report.failed for report in reports) == 0
    assert history(added) == [new.digest], "a new scope: the old realm is down, so ping again"
    assert history(checked) == [known.digest]
    checked.refresh_from_db()
    assert (checked.condition_reason, checked.check_failures) == ("", 0)
    assert requests_seen.to("GET", "/v2/") >= 1

    # From then on the new realm's tokens are remembered: one HEAD per tag.
    requests_seen.clear()
    reports = run_due(4 * INTERVAL)
    assert sum(report.unchanged for report in reports) == 2
    assert sum(requests_seen.counts.values()) == 2, requests_seen.counts


def test_a_registry_that_starts_asking_for_tokens_is_answered(
    tmp_path, pusher, follow, run_due, requests_seen
):
    server = TokenServer(tmp_path / "tokens", users=TOKEN_USERS, anonymous_pull=True).start()
    registry = RegistryProcess(tmp_path / "registry").start()  # open at first
    try:
        pushed = pusher(registry, creds=None).push_image("team/app", "1")
        tag = follow(pushed.reference, "app:1")
        run_due(INTERVAL)  # remembers "no auth needed"
        registry.token = server.auth_config()
        registry.restart()
        requests_seen.clear()

        [report] = run_due(2 * INTERVAL)

        assert report.unchanged == 1
        assert history(tag) == [pushed.digest]
        assert requests_seen.to("GET", "/token") == 1
    finally:
        registry.stop()
        server.stop()


def test_connections_a_restarted_registry_dropped_are_opened_again(
    tmp_path, pusher, follow, run_due, requests_seen
):
    registry = RegistryProcess(tmp_path / "registry").start()
    try:
        pushed = [pusher(registry, creds=None).push_image("team/app", n, text=n) for n in "12"]
        tags = [follow(p.reference, f"app:{n}") for n, p in enumerate(pushed)]
        run_due(INTERVAL)
        registry.restart()  # every kept connection is closed by the registry
        requests_seen.clear()

        reports = run_due(2 * INTERVAL)

        assert sum(report.unchanged for report in reports) == 2
        assert sum(report.failed for report in reports) == 0
        assert requests_seen.on_loop["HEAD"] == 2
        assert sum(requests_seen.counts.values()) == 2, requests_seen.counts
        assert [history(tag) for tag in tags] == [[p.digest] for p in pushed]
    finally:
        registry.stop()
