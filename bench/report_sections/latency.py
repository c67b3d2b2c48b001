"""Section 2 of docs/benchmarks.md, change-to-trigger latency, and its rows in
the summary of targets."""

from __future__ import annotations

from bench.report import picture, table, target_row

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


def section(results: dict, pictures: dict[str, str]) -> str:
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
    parts.append(picture(pictures, "trigger-latency", "Latency distribution"))
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


def targets(latency: dict) -> list[list]:
    p99 = latency["push"]["p99_ms"]
    rows = [target_row("Push to trigger, p99 (Redis)", "< 250 ms", f"{p99:,} ms", p99, 250, False)]
    if "push_embedded" in latency:
        p99 = latency["push_embedded"]["p99_ms"]
        label = "Push to trigger, p99 (filesystem broker, as `manage.py serve`)"
        rows.append(target_row(label, "< 1,000 ms", f"{p99:,} ms", p99, 1000, False))
    return rows
