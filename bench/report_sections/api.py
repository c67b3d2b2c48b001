"""Section 3 of docs/benchmarks.md, the API under load, and its rows in the
summary of targets."""

from __future__ import annotations

from bench.report import picture, profile_note, s, table, target_row

API_LABELS = {
    "trivial": "trivial Django JSON view (no auth)",
    "trivial_api": "trivial DRF view with token auth",
    "resolve": "resolve `api/app:v0`",
    "resolve_304": "resolve, polling with its ETag (304)",
    "describe": "describe stream `api/app` (20 tags)",
}


def section(results: dict, pictures: dict[str, str]) -> str:
    data = results["api"]
    rows = []
    for name, figures in data["results"].items():
        ratio = s(figures.get("rps_ratio_to_trivial"), digits=2) if name != "trivial" else "1"
        path = f"`{data['endpoints'][name]}`"
        row = [API_LABELS[name], path, s(figures["rps"]), s(figures["p50_ms"], digits=1)]
        rows.append([*row, s(figures["p99_ms"], digits=1), ratio, data["queries"].get(name, 0)])
    runs = data["results"]["trivial"]["rps"]["runs"]
    intro = (
        f"`ab -k -c {data['concurrency']}` against gunicorn (4 sync workers, as in the README's "
        f"production example), each endpoint in turn, {runs} rounds; the load tool shares the "
        "2 cores. SQL statements per request were counted with Django's test client. Nothing "
        "changes the stream while the load runs, so resolve and describe are answered from "
        "the shared cache (Redis): one round trip (the stream's version, the access version "
        "and the answer recorded under them) and no SQL. The first read after a change goes "
        'to the database and records the answer (below, "read after a change").'
    )
    header = ["endpoint", "path", "requests/s", "p50 ms", "p99 ms", "rps / trivial", "SQL"]
    levels = ", ".join(
        f"c={p['concurrency']}: {p['resolve']['rps']:,.0f} vs {p['trivial']['rps']:,.0f} rps "
        f"(p99 {p['resolve']['p99_ms']:.0f} vs {p['trivial']['p99_ms']:.0f} ms)"
        for p in data["levels"]
    )
    parts = ["## 3. API under 32 concurrent clients", intro, table(header, rows)]
    parts.append(picture(pictures, "api-throughput", "API throughput against concurrency"))
    parts.append(f"- Resolve vs the trivial view by concurrency (one run each): {levels}.")
    if data.get("reads"):
        parts.append(_reads(data["reads"]))
    what = "the gunicorn workers while resolve was under load"
    parts.append(profile_note(data.get("profile", {}), what))
    if data.get("gunicorn"):
        parts.append(_gunicorn(data["gunicorn"], data["concurrency"]))
    return "\n\n".join(part for part in parts if part)


def _gunicorn(configs: list[dict], concurrency: int) -> str:
    names = (("trivial", "trivial view"), ("resolve", "resolve"))
    names += (("resolve_304", "resolve 304"), ("describe", "describe"))
    header = ["gunicorn workers", "arguments"]
    header += [f"{label} rps (p99 ms)" for _, label in names]
    rows = [
        [c["config"], f"`{c['args']}`"]
        + [f"{c[key]['rps']:,.0f} ({c[key]['p99_ms']:.0f})" for key, _ in names if key in c]
        for c in configs
    ]
    intro = (
        f"### gunicorn worker settings\n\nThe same endpoints at c={concurrency}, one run each, "
        "gunicorn restarted with each setting in turn (see docs/operations.md for the choice)."
    )
    return intro + "\n\n" + table(header, rows)


def _reads(reads: dict) -> str:
    """One request each in the driver's process (Django's test client)."""
    found = []
    for name, label in (("resolve", "resolve"), ("describe", "describe (20 tags x 5 entries)")):
        one = reads.get(name)
        if one:
            found.append(
                f"{label}: from the cache {one['statements_cached']} statements, "
                f"{one['cpu_ms_cached']:.2f} ms CPU; read after a change "
                f"{one['statements_cold']} statements, {one['cpu_ms_cold']:.2f} ms CPU"
            )
    return "- One request in the driver's process: " + "; ".join(found) + "."


def targets(api: dict) -> list[list]:
    resolve = api["results"]["resolve"]
    ratio = resolve["rps_ratio_to_trivial"]
    label = "Resolve rps / trivial view rps (c=32)"
    rows = [target_row(label, ">= 0.5", s(ratio, digits=2), ratio["median"], 0.5, True)]
    p99 = resolve["p99_ms"]
    label = "Resolve p99 (c=32)"
    rows.append(target_row(label, "< 50 ms", s(p99, " ms", 1), p99["median"], 50, False))
    describe = api["results"]["describe"]["rps_ratio_to_trivial"]
    label = "Describe stream rps / trivial view rps (c=32)"
    rows.append(target_row(label, ">= 0.25", s(describe, digits=2), describe["median"], 0.25, True))
    cold = api.get("reads", {}).get("resolve", {}).get("statements_cold")
    if cold is not None:  # the cache answers with none; a read after a change:
        label = "Resolve SQL statements (read after a change)"
        rows.append(target_row(label, "<= 2", str(cold), cold, 2, False))
    elif "resolve" in api.get("queries", {}):
        count = api["queries"]["resolve"]
        rows.append(target_row("Resolve SQL statements", "<= 2", str(count), count, 2, False))
    return rows
