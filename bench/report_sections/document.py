"""The parts of docs/benchmarks.md that belong to no one benchmark: the header,
the summary of targets and how the data is made."""

from __future__ import annotations

from bench.report import table
from bench.report_sections import api, bulk, latency, sweep, ui

COMMAND = "bench/run"
SMOKE_COMMAND = "bench/run --smoke"
SMOKE_NOTE = (
    "> **Smoke run**: tiny sizes to keep the code working, variants sharing processes"
    " (the sweep's two variants run on one worker); its numbers mean nothing."
)


def header(results: dict) -> str:
    meta = results["meta"]
    machine = meta["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in meta["versions"].items())
    note = SMOKE_NOTE + "\n\n" if meta.get("mode") != "full" else ""
    took = f"{meta.get('total_seconds', 0):.0f} s"
    return f"""# Benchmarks

{note}How close the service gets to its registry's own limit, and how far ahead it is of the
usual alternatives, on one 2-core machine. Everything below comes from one run of `{COMMAND}`
on {meta["date"]} ({took}, setup included), code at {meta.get("code", "?")}; the raw figures
are in [benchmarks/results.json](benchmarks/results.json).

- **Machine**: {machine["nproc"]} CPUs ({machine["cpu"]}), {machine["memory_gib"]} GiB memory,
  {machine["os"]}, Linux {machine["kernel"]}. The load tools, the registry, PostgreSQL,
  Redis, gunicorn and the workers all share these 2 cores, as on a small server. Load
  average (1, 5, 15 min) when the run started: {machine.get("load_average_at_start", "?")};
  when it ended: {", ".join(map(str, machine.get("load_average_at_end", [])))}.
- **Versions**: {versions}.
- **Run it**: `{COMMAND}` (about 20 minutes; runs `.ci/install` if anything is missing; sets up its
  own registries, database `imagestreams_bench`, Redis queue, web server, workers and webhook
  receiver). `{SMOKE_COMMAND}` runs the same code on tiny data in under 30 s (CI runs it).
  `{COMMAND} --only sweep,api` runs a subset.
- Figures are **median (min-max)** of {_runs(results)} runs. Figures that compare two things
  were measured in the same run, interleaved, and are given as ratios."""


def _runs(results: dict) -> int:
    levels = results.get("sweep", {}).get("levels") or [{}]
    return levels[0].get("sweep_rate", {}).get("runs", 1)


# --- the summary of targets ----------------------------------------------------------


def summary(results: dict) -> str:
    rows = []
    # In the order of the sections; the client comparison has no target of its own.
    for name, benchmark in (
        ("sweep", sweep),
        ("latency", latency),
        ("api", api),
        ("ui", ui),
        ("bulk", bulk),
    ):
        if name in results:
            rows += benchmark.targets(results[name])
    return "## Targets\n\n" + table(["figure", "target", "measured", "verdict"], rows)


# --- method --------------------------------------------------------------------------


def method(results: dict) -> str:
    setup = results.get("setup", {})
    seeded = "seeded in this run" if setup.get("registry_seeded") else "reused from an earlier run"
    version = results["meta"]["versions"]["docker-registry"]
    tags = f"{setup.get('upstream_tags', 0):,}"
    return f"""## How the data is made

- **Registry**: CNCF Distribution {version}, started by the run on a free loopback port with
  its access log on (`tests/registry_lab.registry.RegistryProcess`). {tags} tags: each
  repository has one real image (config and layer pushed once) and each tag is
  one manifest PUT of it with its own annotations, hence its own digest (registry-lab §6);
  {seeded} ({setup.get("registry_seconds", 0)} s; same bytes either way). A second registry
  is the integrated one, with its notifications sent to the web server.
- **Database**: PostgreSQL database `imagestreams_bench`, recreated and migrated by each run.
  {setup.get("scheduled_tags", 0):,} scheduled tags are written in bulk as an import and the
  sweep's enrolment leave them (head history entry, upstream digest, enrolled source), in
  {setup.get("database_seconds", 0)} s.
- **Processes**: gunicorn (4 sync workers), one Celery worker (prefork, 2 processes unless a
  table says otherwise) on a Redis queue of its own, a threaded webhook receiver in the
  driver. Beat does not run: the driver sends `scheduled_sweep` when a measurement starts
  (and every 5 s in the scale run, as beat's default schedule would).
- Workers write one line per Celery task (SQL statements, duration, RSS) through the
  bench-only Django app `bench` (`bench/apps.py`), which only `bench/settings.py` installs.
- Sources: `bench/`; the smoke test is `tests/bench/test_smoke.py`."""
