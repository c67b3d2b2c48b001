"""`python -m bench [--smoke] [--only NAME,...] [--out DIR]` (see bench/run).

The full run writes docs/benchmarks.md, docs/benchmarks/*.png and
docs/benchmarks/results.json; a smoke run writes the same files under
var/bench/smoke/report/ (its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.config import FULL, SMOKE, Sizes
from bench.lab import ROOT, Lab, drop_database, recreate_database

BENCHMARKS = ("ui", "api", "bulk", "latency", "clients", "sweep")
# The smoke run ends with latency, whose last variant (web and worker on the
# filesystem broker) then needs no restart back to the defaults.
SMOKE_ORDER = ("ui", "api", "bulk", "clients", "sweep", "latency")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    only = [name.strip() for name in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    # Smoke runs may overlap (test suites of several checkouts of one machine):
    # each gets its own work folder and database, removed at the end.
    workdir = ROOT / "var" / "bench" / sizes.name
    if sizes is SMOKE:
        workdir.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
    out = Path(args.out) if args.out else _default_out(sizes)
    if args.render:
        _render_again(Path(args.render), out)
        return 0
    started = time.monotonic()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    _log(f"{sizes.name} run, work files in {workdir}, report in {out}; load average {load}")
    lab = _prepare(workdir, sizes)
    try:
        results = _run(lab, sizes, only, out)
    finally:
        _log("stopping the lab")
        lab.stop(kill_now=sizes is SMOKE)
        if sizes is SMOKE:
            drop_database(lab.database_url.rsplit("/", 1)[1])
            shutil.rmtree(workdir, ignore_errors=True)
    _log("writing the report")
    results["meta"]["total_seconds"] = round(time.monotonic() - started, 1)
    results["meta"]["machine"]["load_average_at_start"] = load
    _write(results, out)
    _log(f"done in {results['meta']['total_seconds']:.0f} s: {out / 'benchmarks.md'}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI (< 30 s)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--out", default="", help="where benchmarks.md and the charts go")
    parser.add_argument(
        "--render", default="", metavar="RESULTS", help="only write the report from a results.json"
    )
    return parser


def _default_out(sizes: Sizes) -> Path:
    return ROOT / "docs" if sizes is FULL else ROOT / "var" / "bench" / "smoke" / "report"


def _prepare(workdir: Path, sizes: Sizes) -> Lab:
    """A fresh database and a clean work folder (the seeded upstream registry's
    storage is kept: seeding it again would give the same bytes)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("probe.jsonl", "worker.log", "gunicorn.log", "upstream/registry.log"):
        (workdir / stale).unlink(missing_ok=True)
    shutil.rmtree(workdir / "integrated", ignore_errors=True)
    suffix = "" if sizes is FULL else f"_{sizes.name}_{uuid.uuid4().hex[:8]}"
    # Several checkouts of one machine may run full benchmarks: each names its own.
    suffix += os.environ.get("BENCH_DATABASE_SUFFIX", "")
    lab = Lab(
        workdir, recreate_database(f"imagestreams_bench{suffix}"), web_workers=sizes.web_workers
    )
    lab.export()
    import django

    django.setup()  # bench.setup migrates the database while web and worker boot
    return lab


def _run(lab: Lab, sizes: Sizes, only: list[str], out: Path) -> dict:
    from bench import b1_clients, b1_sweep, b2_latency, b3_api, b4_ui, b5_bulk, report, setup
    from bench.context import Context

    modules = {
        "ui": b4_ui,
        "api": b3_api,
        "bulk": b5_bulk,
        "latency": b2_latency,
        "clients": b1_clients,
        "sweep": b1_sweep,
    }
    ctx = Context(sizes=sizes, lab=lab, out=out)
    results: dict = {"meta": {}, "setup": setup.run(ctx, log=_log)}
    order = [name for name in (SMOKE_ORDER if sizes is SMOKE else BENCHMARKS) if name in only]
    try:
        for name in order:
            ctx.restore_lab = name != order[-1]
            _log(f"{name}: running")
            began = time.monotonic()
            results[name] = modules[name].run(ctx)
            results[name]["elapsed_seconds"] = round(time.monotonic() - began, 1)
            _log(f"{name}: done in {results[name]['elapsed_seconds']:.0f} s")
            # Kept as it goes: a later failure must not lose what was measured.
            partial = lab.workdir / "results-partial.json"
            partial.write_text(json.dumps(results, indent=1, default=str))
        results["meta"] = report.meta(ctx)
    finally:
        if ctx.receiver is not None:
            ctx.receiver.stop()
    return results


def _write(results: dict, out: Path) -> None:
    from bench import charts, report

    figures = out / "benchmarks"
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    pictures = charts.draw(results, figures)
    (out / "benchmarks.md").write_text(report.render(results, pictures))


def _render_again(results: Path, out: Path) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECRET_KEY", "only-rendering-a-report")
    django.setup()
    _write(json.loads(results.read_text()), out)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
