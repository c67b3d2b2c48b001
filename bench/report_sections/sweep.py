"""Section 1 of docs/benchmarks.md, the scheduled checks of unchanged tags, and
its rows in the summary of targets."""

from __future__ import annotations

from bench.report import picture, profile_note, request_counts, s, table, target_row, verdict

SWEEP_INTRO = """A sweep is what beat starts every few seconds. The driver makes the tags due, sends
one `scheduled_sweep` task and waits; the rate is tags / (the last tag's "checked" time - the
time the task was sent), so claiming, queueing through Redis and writing are all included.
Every tag is unchanged upstream, the case that must be cheap. The yardstick is `ab -i -k`
sending manifest HEADs (the 4 manifest types in `Accept`) to the same registry with the same
number of requests in flight, in the same round (`wrk` cannot send HEADs to this registry,
registry-lab §6). The per-registry request rate limit is lifted for the benchmark: one local
registry stands for the many a real installation follows. The concurrency limit is the
product's: each worker process has IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY requests in flight."""

DEFAULT_CONCURRENCY = 8


def section(results: dict, pictures: dict[str, str]) -> str:
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
    parts.append(picture(pictures, "sweep-throughput", "Checks per second against concurrency"))
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
        ("default: event-loop HEADs, connections kept per process, batches of 200", default),
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
        f"- CPU milliseconds per unchanged check, by process (median of the large sweeps, "
        f"from the sweep's start: the driver making the tags due is not counted): {shown}.\n"
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

`IMAGESTREAMS_SCHEDULED_BATCH_SIZE={tuned["batch_size"]}` (default 200), same worker otherwise:
**{s(tuned["rate"], " checks/s")}**, raw HEAD rate in the same rounds
{s(tuned["ab_head_rps"], "/s")}, ratio **{s(tuned["ratio_to_ab"], digits=2)}**; registry
requests per tag {per_tag}; SQL per batch (tags: statements x batches):
{_batch_queries(tuned)}."""


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
            request_counts(run),
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
    lines.append(profile_note(default.get("profile", {}), "a worker during one more large sweep"))
    return "\n\n".join(line for line in lines if line)


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
- Registry requests per check: {scale["requests_per_tag"]} ({request_counts(scale)}).
- SQL per batch (tags: statements x batches): {_batch_queries(scale)}; SQL of each sweep
  task: {sorted(set(scale["sweep_queries"]))}.
- Memory: largest worker process {scale["memory"]["max_process_rss_mib"]} MiB RSS.
- CPU: {scale["cpu_cores_used"]} of 2 cores busy; CPU milliseconds per check: {cpu}."""


# --- the rows in the summary of targets -------------------------------------------


def targets(sweep: dict) -> list[list]:
    rows = []
    default = sweep.get("default")
    if default:
        for label, ratio in (
            (f"{sweep['small']:,}", _point(sweep, 8)["ratio_to_ab"]),
            (f"{sweep['large']:,}", default["large_ratio_to_ab"]),
        ):
            label = f"Sweep of {label} tags / raw HEAD rate (c=8)"
            rows.append(target_row(label, ">= 0.5", s(ratio, digits=2), ratio["median"], 0.5, True))
        ratio = default["large_ratio_to_skopeo"]
        label = "Sweep / sequential skopeo loop"
        rows.append(target_row(label, ">= 10x", s(ratio, "x"), ratio["median"], 10, True))
        rows.append(_requests_row(default["large"]))
        worker = default.get("cpu_ms_per_check", {}).get("worker")
        if worker:
            label = "Worker CPU per unchanged check"
            measured = s(worker, " ms", 3)
            rows.append(target_row(label, "<= 0.4 ms", measured, worker["median"], 0.4, False))
        memory = default["memory"]["max_process_rss_mib"]
        label = "Worker memory (largest process RSS)"
        rows.append(target_row(label, "< 250 MB", f"{memory} MiB", memory * 1.048576, 250, False))
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


def _point(sweep: dict, concurrency: int) -> dict:
    return next(p for p in sweep["levels"] if p["concurrency"] == concurrency)
