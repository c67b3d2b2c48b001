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
            "batch_size": 50,
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


# --- the document ------------------------------------------------------------------


def render(results: dict, pictures: dict[str, str]) -> str:
    from bench import report_sections as sections

    parts = [sections.header(results), sections.summary(results)]
    for name, section in (
        ("sweep", sections.sweep),
        ("clients", sections.clients),
        ("latency", sections.latency),
        ("api", sections.api),
        ("ui", sections.ui),
        ("bulk", sections.bulk),
    ):
        if name in results:
            parts.append(section(results, pictures))
    if NOTES.exists() and results["meta"].get("mode") == "full":
        parts.append(NOTES.read_text().strip())
    parts.append(sections.method(results))
    return "\n\n".join(part for part in parts if part) + "\n"
