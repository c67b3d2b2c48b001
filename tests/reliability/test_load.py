"""The load test (tests/reliability/load.py) in a small version, bounded in
requests: API clients against gunicorn while workers sweep scheduled tags.
It checks correctness only (no errors, every kind of request served, the
sweep at work); the full run and its figures are in docs/reliability.md."""

from __future__ import annotations

import pytest

from tests.processes import FAST_LOOPS, require_postgres, running
from tests.reliability.load import run_load

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]
KINDS = {"read", "history", "tag", "import"}


def test_a_short_load_run_has_no_errors(tmp_path, registry, pusher, unique_repo):
    require_postgres("gunicorn, worker and beat processes share the test database")
    pusher(registry).push_image(unique_repo, "1")
    with running(tmp_path, **FAST_LOOPS) as cluster:
        cluster.start_redis()
        run = run_load(
            cluster=cluster,
            source=f"{registry.host}/{unique_repo}:1",
            clients=6,
            requests_per_client=25,
            scheduled_tags=300,
            web_workers=2,
        )
        cluster.wait_for(
            lambda: run.sweep()["checked during the run"] > 0, "the sweep to check a tag"
        )
        report = run.report()
    print(report)
    results = run.results
    assert results.errors == [], report
    assert set(results.latencies) == KINDS, report
    assert results.total == 6 * 25, report
