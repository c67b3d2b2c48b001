"""The load test (tests/reliability/load.py) in a small, bounded version:
API clients against gunicorn while workers sweep scheduled tags; no errors.
The full run and its figures are in docs/reliability.md."""

from __future__ import annotations

import pytest

from tests.reliability.cluster import Cluster, require_cluster
from tests.reliability.load import run_load

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


def test_a_short_load_run_has_no_errors(tmp_path, registry, pusher, unique_repo):
    require_cluster()
    pusher(registry).push_image(unique_repo, "1")
    cluster = Cluster(tmp_path)
    cluster.start_redis()
    try:
        results, sweep, elapsed = run_load(
            cluster=cluster,
            source=f"{registry.host}/{unique_repo}:1",
            clients=6,
            duration=10,
            scheduled_tags=300,
            web_workers=2,
        )
    finally:
        cluster.stop_all()
    report = results.report(elapsed, sweep)
    print(report)
    assert results.errors == [], report
    assert results.total > 100, report
    assert set(results.latencies) == {"read", "history", "tag", "import"}, report
    assert sweep["checked during the run"] > 0, report
