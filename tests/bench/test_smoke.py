"""The benchmark command, in its smoke mode, still runs end to end: every
benchmark on tiny data, the report and the charts written. Its figures are
not checked (CI machines are noisy); what each benchmark counts is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry_lab.fixtures import require_tool

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.registry,
    # The bench sets up its own PostgreSQL database whatever the suite's DATABASE_URL
    # says: on the SQLite pass it would only run the same thing a second time.
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("sqlite"),
        reason="the bench runs on its own PostgreSQL database; run once, on the PostgreSQL pass",
    ),
]
SECTIONS = (
    "## Targets",
    "## 1. Scheduled checks of unchanged tags",
    "### Which HTTP client",
    "## 2. Change-to-trigger latency",
    "## 3. API under 32 concurrent clients",
    "## 4. The stream page",
    "## 5. Bulk import of a repository",
)
CHARTS = ("sweep-throughput.png", "api-throughput.png", "trigger-latency.png")


def test_the_smoke_run_writes_the_report_and_measures_what_it_counts(tmp_path):
    # One run for both checks: a module fixture would run once per xdist worker.
    for tool in ("docker-registry", "skopeo", "ab"):
        require_tool(f"/usr/bin/{tool}", "apache2-utils" if tool == "ab" else tool)
    finished = subprocess.run(
        ["bash", "bench/run", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        # This interpreter's virtualenv, which .ci/install gave the bench extra:
        # bench/run then installs nothing (another checkout may have no .venv).
        env={**os.environ, "VENV": sys.prefix},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    check_report(tmp_path)
    check_results(json.loads((tmp_path / "benchmarks" / "results.json").read_text()))


def check_report(out: Path) -> None:
    report = (out / "benchmarks.md").read_text()
    for section in SECTIONS:
        assert section in report
    assert "Smoke run" in report
    for chart in CHARTS:
        assert (out / "benchmarks" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def check_results(results: dict) -> None:
    default = results["sweep"]["default"]
    [large] = default["large"]
    assert large["outcomes"]["unchanged"] == large["tags"] == results["sweep"]["large"]
    assert large["new_history_entries"] == 0 and large["failed_tags"] == 0
    assert large["requests"]["HEAD manifest"] == large["tags"]
    assert default["skopeo_rate"]["median"] > 0 and default["memory"]["max_process_rss_mib"] > 0
    assert results["sweep"]["scale"]["scheduled_tags"] == results["setup"]["scheduled_tags"]
    for path in ("push", "scheduled"):
        assert results["latency"][path]["changes"] == 3
    api = results["api"]["results"]
    assert all(api[name]["rps"]["median"] > 0 for name in api)
    # Under load the answers come from the shared cache; the first read after
    # a change reads the database.
    assert results["api"]["queries"]["resolve"] == 0
    reads = results["api"]["reads"]
    assert reads["resolve"]["statements_cold"] > 0 and reads["describe"]["statements_cold"] > 0
    assert all(figures["cpu_ms_cold"] > 0 for figures in reads.values())
    assert results["ui"]["queries"] > 0
    assert all(c["rate"]["median"] > 0 for c in results["clients"]["clients"].values())
    [bulk] = results["bulk"]["import"]
    # A bulk import has no digest to compare with: one GET per manifest, no HEAD first.
    assert bulk["requests"]["GET manifest"] >= results["bulk"]["tags"]
    assert "HEAD manifest" not in bulk["requests"]
