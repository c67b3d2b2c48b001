"""docs/benchmarks.md from the results of a run: the machine, the versions,
the commands, every figure with its spread, and each target's verdict."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import time
from pathlib import Path

import psutil
from django.db import connection

from bench.context import Context

ROOT = Path(__file__).resolve().parent.parent
NOTES = Path(__file__).with_name("findings.md")
PACKAGES = ("Django", "djangorestframework", "celery", "httpx", "gunicorn", "psycopg", "redis")


# --- the machine and the versions ----------------------------------------------


def meta(ctx: Context) -> dict:
    return {
        "mode": ctx.sizes.name,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "code": _code_version(),
        "machine": {
            "nproc": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "cpu": _cpu_model(),
            "kernel": platform.release(),
            "os": _os_name(),
            "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
        },
        "versions": {
            "Python": platform.python_version(),
            **{name: importlib.metadata.version(name) for name in PACKAGES},
            "PostgreSQL": _sql("SHOW server_version"),
            "Redis": _command(["redis-cli", "INFO", "server"], "redis_version:"),
            "docker-registry": _command(["docker-registry", "--version"]).split()[-1],
            "skopeo": _command(["skopeo", "--version"]).split()[-1],
            "ab": _command(["ab", "-V"]).splitlines()[0].split("Version")[1].split()[0],
        },
        "settings": {
            "worker": "celery worker -c 2 (prefork), IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY=4",
            "web": f"gunicorn imagestreams.wsgi:application -w {ctx.lab.web_workers} (sync)",
            "interval_seconds": 900,
            "batch_size": "200 (a small sweep spread over 8 batches of 50 or more)",
            "registry_requests_per_second": "lifted (100000)",
        },
    }


def _code_version() -> str:
    """The commit measured, and whether the work tree had changes on top of it."""
    commit = _command(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    changed = _command(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return f"{commit} with uncommitted changes" if changed else commit


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


def _sql(statement: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return str(cursor.fetchone()[0])


def _command(command: list[str], field: str = "") -> str:
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (out.stdout or out.stderr).strip()
    if field:
        for line in text.splitlines():
            if line.startswith(field):
                return line[len(field) :].strip()
    return text


# --- formatting --------------------------------------------------------------------


def s(figure: dict | None, unit: str = "", digits: int | None = None) -> str:
    """'612 (587-640)': median (min-max) of several runs, or one value."""
    if not figure:
        return "-"

    def n(value: float) -> str:
        return f"{value:,.{digits}f}" if digits is not None else f"{value:,}"

    if figure.get("runs", 1) == 1 or figure["min"] == figure["max"]:
        return f"{n(figure['median'])}{unit}"
    return f"{n(figure['median'])}{unit} ({n(figure['min'])}-{n(figure['max'])})"


def verdict(ok: bool, detail: str = "") -> str:
    return ("met" if ok else "**missed**") + (f" ({detail})" if detail else "")


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def by(value: float, target: float, *, higher: bool = True) -> str:
    """How far from the target, in percent of the target."""
    gap = (target - value) / target if higher else (value - target) / target
    return f"{100 * gap:.0f}% short" if higher else f"{100 * gap:.0f}% over"


# --- parts several sections use ----------------------------------------------------


def target_row(label: str, target: str, measured, value: float, limit: float, higher: bool) -> list:
    """A summary row; the verdict says by how much a missed target was missed."""
    ok = value >= limit if higher else value <= limit
    return [label, target, measured, verdict(ok, "" if ok else by(value, limit, higher=higher))]


def picture(pictures: dict[str, str], name: str, text: str) -> str:
    """The chart of that name, if the run drew it."""
    return f"![{text}](benchmarks/{pictures[name]})" if name in pictures else ""


def request_counts(run: dict) -> str:
    """'4 GET blob, 1,000 GET manifest, ...': the registry's access log, by kind."""
    return ", ".join(f"{n:,} {kind}" for kind, n in sorted(run["requests"].items()))


def profile_note(profile: dict, what: str) -> str:
    """A py-spy profile as a bullet: the inclusive shares, then the top functions."""
    if not profile:
        return ""
    if "error" in profile:
        return f"- Profile of {what}: not available ({profile['error']})."
    groups = ", ".join(f"{name} {share}%" for name, share in profile["groups"][:7])
    top = "\n".join(f"  - `{name}`: {share}%" for name, share in profile["top_self"][:8])
    return (
        f"- Profile of {what} (py-spy, {profile['busy_samples']:,} samples not idle). "
        f"Inclusive share: {groups}. Top functions by own time:\n{top}"
    )


# --- the document ------------------------------------------------------------------


def render(results: dict, pictures: dict[str, str]) -> str:
    from bench.report_sections import api, bulk, clients, document, latency, sweep, ui

    parts = [document.header(results), document.summary(results)]
    for name, benchmark in (
        ("sweep", sweep),
        ("clients", clients),
        ("latency", latency),
        ("api", api),
        ("ui", ui),
        ("bulk", bulk),
    ):
        if name in results:
            parts.append(benchmark.section(results, pictures))
    if NOTES.exists() and results["meta"].get("mode") == "full":
        parts.append(NOTES.read_text().strip())
    parts.append(document.method(results))
    return "\n\n".join(part for part in parts if part) + "\n"
