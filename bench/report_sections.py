"""The sections of docs/benchmarks.md, one function per benchmark."""

from __future__ import annotations

from bench.report import by, s, table, verdict

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
    if "sweep" in results:
        rows += _sweep_targets(results["sweep"])
    if "latency" in results:
        latency = results["latency"]
        p99 = latency["push"]["p99_ms"]
        rows.append(
            _row("Push to trigger, p99 (Redis)", "< 250 ms", f"{p99:,} ms", p99, 250, False)
        )
        if "push_embedded" in latency:
            p99 = latency["push_embedded"]["p99_ms"]
            label = "Push to trigger, p99 (filesystem broker, as `manage.py serve`)"
            rows.append(_row(label, "< 1,000 ms", f"{p99:,} ms", p99, 1000, False))
    if "api" in results:
        rows += _api_targets(results["api"])
    if "ui" in results:
        ui = results["ui"]
        queries = ui["queries"]
        rows.append(_row("Stream page SQL statements", "<= 15", queries, queries, 15, False))
        render = ui["render_ms"]
        measured = s(render, " ms", 1)
        rows.append(_row("Stream page render", "< 300 ms", measured, render["median"], 300, False))
    if "bulk" in results:
        speedup = results["bulk"]["speedup"]
        measured = s(speedup, "x")
        rows.append(_row("Bulk import vs skopeo", ">= 5x", measured, speedup["median"], 5, True))
    return "## Targets\n\n" + table(["figure", "target", "measured", "verdict"], rows)


def _row(label: str, target: str, measured, value: float, limit: float, higher: bool) -> list:
    """A summary row; the verdict says by how much a missed target was missed."""
    ok = value >= limit if higher else value <= limit
    return [label, target, measured, verdict(ok, "" if ok else by(value, limit, higher=higher))]


def _sweep_targets(sweep: dict) -> list[list]:
    rows = []
    default = sweep.get("default")
    if default:
        for label, ratio in (
            (f"{sweep['small']:,}", _point(sweep, 8)["ratio_to_ab"]),
            (f"{sweep['large']:,}", default["large_ratio_to_ab"]),
        ):
            label = f"Sweep of {label} tags / raw HEAD rate (c=8)"
            rows.append(_row(label, ">= 0.5", s(ratio, digits=2), ratio["median"], 0.5, True))
        ratio = default["large_ratio_to_skopeo"]
        label = "Sweep / sequential skopeo loop"
        rows.append(_row(label, ">= 10x", s(ratio, "x"), ratio["median"], 10, True))
        rows.append(_requests_row(default["large"]))
        worker = default.get("cpu_ms_per_check", {}).get("worker")
        if worker:
            label = "Worker CPU per unchanged check"
            measured = s(worker, " ms", 3)
            rows.append(_row(label, "<= 0.4 ms", measured, worker["median"], 0.4, False))
        memory = default["memory"]["max_process_rss_mib"]
        label = "Worker memory (largest process RSS)"
        rows.append(_row(label, "< 250 MB", f"{memory} MiB", memory * 1.048576, 250, False))
    if sweep.get("queries_by_batch_size"):
        # One statement of slack (batches once also wrote a metrics row).
        counts = [queries for _, queries in sweep["queries_by_batch_size"]]
        shown = ", ".join(f"{t} tags: {q}" for t, q in sweep["queries_by_batch_size"])
        ok = max(counts) <= min(counts) + 1
        rows.append(["SQL statements per batch", "no growth per tag", shown, verdict(ok)])
    if sweep.get("scale"):
        rows.append(_scale_row(sweep["scale"]))
        if sweep["scale"]["checked"]:
            rows.append(_requests_row([sweep["scale"] | {"tags": sweep["scale"]["checked"]}]))
    if sweep.get("all_tags"):
        rows.append(_requests_row([sweep["all_tags"]]))
    return rows


def _requests_row(runs: list[dict]) -> list:
    per_tag = [run["requests_per_tag"] for run in runs]
    measured = f"{min(per_tag):.3f}-{max(per_tag):.3f}"
    extra = {kind: n for kind, n in runs[0]["requests"].items() if kind != "HEAD manifest"}
    detail = ""
    if extra:
        shown = ", ".join(f"{n} {kind}" for kind, n in sorted(extra.items()))
        heads = runs[0]["requests"].get("HEAD manifest", 0)
        detail = f"{heads:,} HEADs plus {shown} for {runs[0]['tags']:,} tags"
    label = f"Registry requests per unchanged tag ({runs[0]['tags']:,} tags)"
    return [label, "exactly 1", measured, verdict(max(per_tag) == 1.0, detail)]


def _scale_row(scale: dict) -> list:
    ok = scale["missed"] == 0 and scale["achieved_rate"] >= 0.95 * scale["needed_rate"]
    label = (
        f"{scale['scheduled_tags']:,} tags at a {scale['interval_seconds'] / 60:.0f}-min interval"
    )
    measured = f"{scale['achieved_rate']} checks/s, {scale['missed']} due tags missed"
    return [label, f">= {scale['needed_rate']} checks/s", measured, verdict(ok)]


DEFAULT_CONCURRENCY = 8


def _point(sweep: dict, concurrency: int) -> dict:
    return next(p for p in sweep["levels"] if p["concurrency"] == concurrency)


def _api_targets(api: dict) -> list[list]:
    resolve = api["results"]["resolve"]
    ratio = resolve["rps_ratio_to_trivial"]
    label = "Resolve rps / trivial view rps (c=32)"
    rows = [_row(label, ">= 0.5", s(ratio, digits=2), ratio["median"], 0.5, True)]
    p99 = resolve["p99_ms"]
    label = "Resolve p99 (c=32)"
    rows.append(_row(label, "< 50 ms", s(p99, " ms", 1), p99["median"], 50, False))
    describe = api["results"]["describe"]["rps_ratio_to_trivial"]
    label = "Describe stream rps / trivial view rps (c=32)"
    rows.append(_row(label, ">= 0.25", s(describe, digits=2), describe["median"], 0.25, True))
    if "resolve" in api.get("queries", {}):
        count = api["queries"]["resolve"]
        rows.append(_row("Resolve SQL statements", "<= 2", str(count), count, 2, False))
    return rows


# --- 1. sweeps -----------------------------------------------------------------------

SWEEP_INTRO = """A sweep is what beat starts every few seconds. The driver makes the tags due, sends
one `scheduled_sweep` task and waits; the rate is tags / (the last tag's "checked" time - the
time the task was sent), so claiming, queueing through Redis and writing are all included.
Every tag is unchanged upstream, the case that must be cheap. The yardstick is `ab -i -k`
sending manifest HEADs (the 4 manifest types in `Accept`) to the same registry with the same
number of requests in flight, in the same round (`wrk` cannot send HEADs to this registry,
registry-lab §6). The per-registry request rate limit is lifted for the benchmark: one local
registry stands for the many a real installation follows. The concurrency limit is the
product's: each worker process has IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY requests in flight."""


def sweep(results: dict, pictures: dict[str, str]) -> str:
    data = results["sweep"]
    header = ["in flight", "processes x threads", "registry raw HEAD/s (ab)"]
    header += [f"sweep checks/s ({data['small']:,} tags)", "sweep / ab"]
    rows = [
        [
            point["concurrency"],
            f"{point['processes']} x {point['threads']}",
            s(point["ab_head_rps"]),
            s(point["sweep_rate"]),
            s(point["ratio_to_ab"], digits=2),
        ]
        for point in data["levels"]
    ]
    parts = ["## 1. Scheduled checks of unchanged tags", SWEEP_INTRO, table(header, rows)]
    parts.append(_picture(pictures, "sweep-throughput", "Checks per second against concurrency"))
    if data.get("default"):
        parts.append(_sweep_default(data))
    if data.get("tuned"):
        parts.append(_tuned(data))
    if data.get("threads_only"):
        parts.append(_levers(data))
    if data.get("all_tags") or data.get("processes"):
        parts.append(_scaling(data))
    if data.get("scale"):
        parts.append(_scale(data["scale"]))
    return "\n\n".join(part for part in parts if part)


def _levers(data: dict) -> str:
    """The large sweep with a lever turned off, next to the default, same run."""
    default, rows = data["default"], []
    variants = [
        ("default: event-loop HEADs, connections kept per process, batches of 50", default),
        ("`IMAGESTREAMS_SCHEDULED_ASYNC_HEADS=0`: every check in threads", data["threads_only"]),
    ]
    if data.get("tuned"):
        size = data["tuned"]["batch_size"]
        variants.append((f"`IMAGESTREAMS_SCHEDULED_BATCH_SIZE={size}`", data["tuned"]))
    for label, variant in variants:
        rate = variant.get("large_rate") or variant["rate"]
        ratio = variant.get("large_ratio_to_ab") or variant["ratio_to_ab"]
        runs = variant.get("large", [])
        per_tag = variant.get("requests_per_tag") or [r["requests_per_tag"] for r in runs]
        worker = variant.get("cpu_ms_per_check", {}).get("worker")
        rows.append(
            [
                label,
                s(rate),
                s(ratio, digits=2),
                f"{min(per_tag):.3f}-{max(per_tag):.3f}",
                s(worker, " ms", 3) if worker else "-",
            ]
        )
    header = ["worker", "checks/s", "sweep / ab", "requests/tag", "worker CPU per check"]
    return f"""### Levers, measured in the same run

The {data["large"]:,}-tag sweep at the default concurrency with one lever turned off at a time
(each row interleaved with its own `ab` rounds).

{table(header, rows)}"""


def _scaling(data: dict) -> str:
    default = data.get("default", {})
    rows = []
    levels = data.get("levels", [])
    small = next((p for p in levels if p["concurrency"] == DEFAULT_CONCURRENCY), None)
    if small:
        rows.append([f"{data['small']:,}", s(small["sweep_rate"]), "-"])
    if default:
        worker = default.get("cpu_ms_per_check", {}).get("worker")
        rows.append([f"{data['large']:,}", s(default["large_rate"]), s(worker, " ms", 3)])
    if data.get("all_tags"):
        every = data["all_tags"]
        worker_ms = every["cpu_ms_per_check"].get("worker", 0)
        rows.append([f"{every['tags']:,}", f"{every['rate']:,}", f"{worker_ms:.3f} ms"])
    parts = ["### Scaling", "By tags, one sweep at the default concurrency (2 processes x 4):"]
    parts.append(table(["tags", "checks/s", "worker CPU per check"], rows))
    if data.get("processes"):
        header = ["worker processes x in flight", "raw HEAD/s (ab, same concurrency)"]
        header += ["checks/s", "worker CPU per check", "registry CPU per check"]
        rows = [
            [
                f"{p['processes']} x {p['threads']}",
                f"{p['ab_head_rps']:,.0f}",
                f"{p['rate']:,}",
                f"{p['cpu_ms_per_check'].get('worker', 0):.3f} ms",
                f"{p['cpu_ms_per_check'].get('registry', 0):.3f} ms",
            ]
            for p in data["processes"]
        ]
        parts.append(f"By worker processes, the {data['large']:,}-tag sweep once each:")
        parts.append(table(header, rows))
    parts.append(_ceiling(default))
    return "\n\n".join(part for part in parts if part)


def _ceiling(default: dict) -> str:
    """Tags per 15 minutes per core, from the CPU a check costs."""
    per_check = {k: v["median"] for k, v in default.get("cpu_ms_per_check", {}).items()}
    worker = per_check.get("worker")
    if not worker:
        return ""
    ours = worker + per_check.get("postgres", 0) + per_check.get("redis", 0)
    everything = ours + per_check.get("registry", 0)
    shown = ", ".join(f"{k} {v:.3f}" for k, v in sorted(per_check.items(), key=lambda i: -i[1]))
    return (
        f"- CPU milliseconds per unchanged check, by process (median of the large sweeps): "
        f"{shown}.\n"
        f"- Ceiling, tags per 15 minutes per core: **{900_000 / worker:,.0f}** counting the "
        f"worker alone, {900_000 / ours:,.0f} with PostgreSQL and Redis on the same core, "
        f"{900_000 / everything:,.0f} with the registry on it too (as on this machine). A second "
        "machine of workers adds its cores' worth, with PostgreSQL and Redis shared: their "
        f"share is {per_check.get('postgres', 0) + per_check.get('redis', 0):.3f} ms per check."
    )


def _tuned(data: dict) -> str:
    tuned = data["tuned"]
    per_tag = ", ".join(f"{value:.3f}" for value in tuned["requests_per_tag"])
    return f"""### The same {data["large"]:,} tags in batches of {tuned["batch_size"]}

`IMAGESTREAMS_SCHEDULED_BATCH_SIZE={tuned["batch_size"]}` (default 50), same worker otherwise:
**{s(tuned["rate"], " checks/s")}**, raw HEAD rate in the same rounds
{s(tuned["ab_head_rps"], "/s")}, ratio **{s(tuned["ratio_to_ab"], digits=2)}**; registry
requests per tag {per_tag}; SQL per batch (tags: statements x batches):
{_batch_queries(tuned)}."""


def _picture(pictures: dict[str, str], name: str, text: str) -> str:
    return f"![{text}](benchmarks/{pictures[name]})" if name in pictures else ""


def _sweep_default(data: dict) -> str:
    default = data["default"]
    header = ["tags", "time", "checks/s", "requests/tag", "registry requests", "batches"]
    header += ["SQL per batch (tags: statements x batches)", "SQL of the sweep task"]
    header += ["new history entries", "failed"]
    rows = [
        [
            f"{run['tags']:,}",
            f"{run['seconds']:.2f} s",
            f"{run['rate']:,}",
            run["requests_per_tag"],
            _requests(run),
            run["batches"],
            _batch_queries(run),
            run["sweep_queries"],
            run["new_history_entries"],
            run["failed_tags"],
        ]
        for run in default["large"]
    ]
    memory = default["memory"]
    lines = [
        f"### {data['large']:,} unchanged tags at the default concurrency (2 processes x 4)",
        table(header, rows),
        f"- Sweep of {data['large']:,} tags: **{s(default['large_rate'], ' checks/s')}**; "
        f"raw HEAD rate in the same rounds {s(default['ab_head_rps'], '/s')}; "
        f"ratio {s(default['large_ratio_to_ab'], digits=2)}.",
        f"- Sequential `skopeo inspect --raw` over {default['skopeo_sample']} of these tags: "
        f"{s(default['skopeo_rate'], ' tags/s', 1)}. The sweep is "
        f"**{s(default['large_ratio_to_skopeo'], 'x')}** faster "
        f"({s(default['small_ratio_to_skopeo'], 'x')} for the {data['small']:,}-tag sweep).",
        f"- Worker memory during these sweeps: largest process "
        f"{memory['max_process_rss_mib']} MiB RSS; all worker processes together "
        f"{memory['max_total_rss_mib']} MiB RSS, {memory['max_total_pss_mib']} MiB PSS "
        "(shared pages counted once).",
        f"- CPU seconds used during the first large sweep: {_cpu(default['large'][0])}.",
    ]
    if data.get("queries_by_batch_size"):
        shown = ", ".join(f"{t} tags: {q}" for t, q in data["queries_by_batch_size"])
        lines.append(f"- SQL statements of one `check_batch`, by batch size: {shown}.")
    lines.append(_profile(default.get("profile", {}), "a worker during one more large sweep"))
    return "\n\n".join(line for line in lines if line)


def _requests(run: dict) -> str:
    return ", ".join(f"{n:,} {kind}" for kind, n in sorted(run["requests"].items()))


def _batch_queries(run: dict) -> str:
    rows = run["batch_queries"]
    if len(rows) <= 6:
        return ", ".join(f"{tags}: {queries} x {n}" for tags, queries, n in rows)
    # Many batch sizes (the scale run): the range, and the most common case.
    batches = sum(n for _, _, n in rows)
    low, high = min(q for _, q, _ in rows), max(q for _, q, _ in rows)
    tags, queries, n = max(rows, key=lambda row: row[2])
    return f"{batches} batches, {low} to {high} statements; most often {tags}: {queries} x {n}"


def _cpu(run: dict) -> str:
    used = sorted(run.get("cpu_seconds", {}).items(), key=lambda item: -item[1])
    return ", ".join(f"{group} {seconds:.1f}" for group, seconds in used)


def _scale(scale: dict) -> str:
    late = scale["lateness_seconds"]
    per_check = sorted(scale["cpu_ms_per_check"].items(), key=lambda item: -item[1])
    cpu = ", ".join(f"{group} {ms:.2f}" for group, ms in per_check)
    tags, minutes = f"{scale['scheduled_tags']:,}", f"{scale['interval_seconds'] / 60:.0f}"
    period = f"{scale['sweep_period']:.0f} s"
    return f"""### {tags} scheduled tags at the default {minutes}-minute interval

{tags} scheduled tags (projects following the same upstream tags, so every check is a real
HEAD against the registry) got their next check spread over one interval, as enrolment
spreads them. The driver then played beat for {scale["seconds"]:.0f} s: one `scheduled_sweep`
every {period}, {scale["sweeps"]} sweeps. The interval needs **{scale["needed_rate"]} checks/s**.

- Checked: {scale["checked"]:,} tags, **{scale["achieved_rate"]} checks/s**; due in the
  window: {scale["due_in_window"]:,}; missed (due, not checked by the end): {scale["missed"]}.
- Lateness (checked - due): p50 {late.get("p50", "-")} s, p99 {late.get("p99", "-")} s,
  max {late.get("max", "-")} s (each sweep hands out what became due since the one before).
- Registry requests per check: {scale["requests_per_tag"]} ({_requests(scale)}).
- SQL per batch (tags: statements x batches): {_batch_queries(scale)}; SQL of each sweep
  task: {sorted(set(scale["sweep_queries"]))}.
- Memory: largest worker process {scale["memory"]["max_process_rss_mib"]} MiB RSS.
- CPU: {scale["cpu_cores_used"]} of 2 cores busy; CPU milliseconds per check: {cpu}."""


def _profile(profile: dict, what: str) -> str:
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


def clients(results: dict, pictures: dict[str, str]) -> str:
    data = results["clients"]
    rows = [
        [name, s(figures["rate"], "/s"), s(figures["cpu_ms_per_request"], " ms", 3)]
        for name, figures in data["clients"].items()
    ]
    header = ["client", "HEADs per second", "client CPU per HEAD"]
    return f"""### Which HTTP client

The same {data["requests"]:,} manifest HEADs, {data["concurrency"]} in flight, sent from the
driver by each client in turn (registry-lab §6 found httpx's async pool slower as concurrency
rises, and aiohttp much cheaper). The product's own clients are the first two rows: its
`RegistryClient`, one per thread (a worker's path for tags that changed), and its
`QuickHeads`, prepared HEADs on one event loop with aiohttp (a worker's path for tags
expected unchanged).

{table(header, rows)}"""


# --- 2. latency ----------------------------------------------------------------------

LATENCY_INTRO = """One change at a time, each a new digest under the same tag. The clock starts
when the registry has answered the manifest PUT and stops when the local receiver has read the
webhook (one clock, in the driver).

- Push: the registry's notification, `POST /hooks/registry`, a worker applies the push
  (history entry and delivery in one transaction), a worker sends the webhook.
- Scheduled: the upstream registry's push webhook (`POST /hooks/generic`, as Docker Hub, Quay
  or Harbor send) makes the scheduled tag due, a sweep claims it, a worker checks it (HEAD,
  then GET manifest and config) and imports it, a worker sends the webhook. Without a registry
  webhook a change first waits for the tag's next check: up to one interval (15 minutes by
  default) more."""


def latency(results: dict, pictures: dict[str, str]) -> str:
    data = results["latency"]
    rows = []
    for name, label in (
        ("push", "push to the integrated registry"),
        ("push_embedded", "the same, filesystem broker polled every 0.1 s (`manage.py serve`)"),
        ("push_embedded_1s", "the same, filesystem broker polled every 1 s (kombu's default)"),
        ("scheduled", "upstream push + registry webhook, scheduled check"),
    ):
        if name not in data:
            continue
        path = data[name]
        row = [label, path["changes"], path["p50_ms"], path["p95_ms"], path["p99_ms"]]
        rows.append([*row, path["max_ms"]])
    header = ["from", "changes", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    parts = ["## 2. Change-to-trigger latency", LATENCY_INTRO, table(header, rows)]
    parts.append(_picture(pictures, "trigger-latency", "Latency distribution"))
    for name, label in (
        ("push", "a push"),
        ("push_embedded", "a push through the filesystem broker"),
        ("scheduled", "an upstream change"),
    ):
        stages = data.get(name, {}).get("stages_ms")
        if stages:
            shown = ", ".join(f"{step} {ms:+g}" for step, ms in stages.items())
            parts.append(f"- Where the time goes for {label} (median ms per step): {shown}.")
    idle = [
        f"{data[name]['idle_worker_cpu_percent']}% of one core polled every "
        f"{data[name]['polling_seconds']:g} s"
        for name in ("push_embedded", "push_embedded_1s")
        if "idle_worker_cpu_percent" in data.get(name, {})
    ]
    if idle:
        shown = "; ".join(idle)
        parts.append(f"- The idle worker on the filesystem broker (both processes): {shown}.")
    return "\n\n".join(part for part in parts if part)


# --- 3. API --------------------------------------------------------------------------

API_LABELS = {
    "trivial": "trivial Django JSON view (no auth)",
    "trivial_api": "trivial DRF view with token auth",
    "resolve": "resolve `api/app:v0`",
    "resolve_304": "resolve, polling with its ETag (304)",
    "describe": "describe stream `api/app` (20 tags)",
}


def api(results: dict, pictures: dict[str, str]) -> str:
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
        "2 cores. SQL statements per request were counted with Django's test client."
    )
    header = ["endpoint", "path", "requests/s", "p50 ms", "p99 ms", "rps / trivial", "SQL"]
    levels = ", ".join(
        f"c={p['concurrency']}: {p['resolve']['rps']:,.0f} vs {p['trivial']['rps']:,.0f} rps "
        f"(p99 {p['resolve']['p99_ms']:.0f} vs {p['trivial']['p99_ms']:.0f} ms)"
        for p in data["levels"]
    )
    parts = ["## 3. API under 32 concurrent clients", intro, table(header, rows)]
    parts.append(_picture(pictures, "api-throughput", "API throughput against concurrency"))
    parts.append(f"- Resolve vs the trivial view by concurrency (one run each): {levels}.")
    what = "the gunicorn workers while resolve was under load"
    parts.append(_profile(data.get("profile", {}), what))
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


# --- 4. UI ---------------------------------------------------------------------------


def ui(results: dict, pictures: dict[str, str]) -> str:
    data = results["ui"]
    top = "\n".join(
        f"  - `{name}`: {own * 1000:.1f} ms own, {cumulative * 1000:.1f} ms cumulative"
        for name, own, cumulative in data["profile"][:8]
    )
    render = s(data["render_ms"], " ms", 1)
    return f"""## 4. The stream page

`{data["url"]}`: a stream of {data["tags"]} tags (every tenth an alias) with {data["history"]}
history entries each, rendered by Django's test client in the driver (middleware, view and
template, no network), signed in, after one warm-up request.

- SQL statements: **{data["queries"]}** (tests/web/test_queries.py asserts the same count for
  3 tags and for 500).
- Render time: **{render}** over {data["render_ms"]["runs"]} requests; page size
  {data["html_kib"]} KiB.
- cProfile of one render, top functions by own time:
{top}"""


# --- 5. bulk import ------------------------------------------------------------------


def bulk(results: dict, pictures: dict[str, str]) -> str:
    data = results["bulk"]
    rows = []
    every = []
    if "import_every_config" in data:
        every = [
            (
                "the same, every config read (as with a config per tag)",
                data["import_every_config"],
                data["import_every_config_seconds"],
            )
        ]
    for label, runs, seconds in (
        ("`import-image --all` (the service)", data["import"], data["import_seconds"]),
        *every,
        (
            "`skopeo list-tags` + `inspect --no-tags` per tag",
            data["skopeo"],
            data["skopeo_seconds"],
        ),
    ):
        rate = f"{data['tags'] / seconds['median']:.0f}"
        rows.append(
            [label, s(seconds, " s", 2), rate, runs[0]["requests_per_tag"], _requests(runs[0])]
        )
    header = ["client", "time", "tags/s", "requests/tag", "registry requests"]
    return f"""## 5. Bulk import of a repository with {data["tags"]:,} tags

`import_image(target, from_image=<repository>, all=True, confirm=True)` with
`IMAGESTREAMS_MAX_IMAGES_BULK_IMPORTED=-1` (the service behind `isctl import-image --all
--confirm` and `POST /api/v1/projects/{{project}}/imports`), called in the driver so that no web
server timeout cuts it short; each run imports into a new stream with none of the images
known beforehand. The service fetches IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY (4) tags at a
time, each request paced by the per-registry limits (the rate limit is lifted here, as for the
sweeps), and asks for no HEAD first since there is no digest to compare with; the threads
share the blobs they read, so a config several tags share is read once (here every tag is
one image with its own annotations: one config for all, so one config GET in all; with a
config per tag it would be 2 requests per tag). It then writes the tags new to the stream
together (images, tags, history entries, change feed, audit: a few statements whatever the
number of tags) in one transaction, and the triggers are told of the changes in one fan-out
task per 100 changes. Each run starts once the worker has fanned out the changes of the
run before. Against it: skopeo reading the same metadata (manifest and config of every tag,
one after the other; it copies no layers). Requests are counted in the registry's access
log.

{table(header, rows)}

- The import is **{s(data["speedup"], "x")}** faster than the skopeo loop{_every(data)}.
- SQL statements of the import: {_statements(data["import"])}.

{_profile(data["import"][-1].get("profile", {}), "the driver during the last import")}"""


def _every(data: dict) -> str:
    if "speedup_every_config" not in data:
        return ""
    return f"; **{s(data['speedup_every_config'], 'x')}** when it reads every config"


def _statements(runs: list[dict]) -> str:
    if "statements" not in runs[0]:
        return "not counted in this run"
    per_tag = runs[0]["statements_per_tag"]
    return f"**{runs[0]['statements']:,}** in all, **{per_tag}** per tag"


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
