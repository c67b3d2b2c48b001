"""The report's pictures: throughput against concurrency (sweep vs the
registry's raw HEAD rate; API vs a trivial view) and the distribution of
change-to-trigger latencies."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

DPI = 110


def draw(results: dict, folder: Path) -> dict[str, str]:
    """Write every chart the results allow; returns {name: file name}."""
    drawn = {}
    for name, painter in (
        ("sweep-throughput", _sweep),
        ("api-throughput", _api),
        ("trigger-latency", _latency),
    ):
        figure = painter(results)
        if figure is None:
            continue
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=DPI, bbox_inches="tight")
        plt.close(figure)
        drawn[name] = path.name
    return drawn


def _sweep(results: dict):
    levels = results.get("sweep", {}).get("levels")
    if not levels:
        return None
    x = [p["concurrency"] for p in levels]
    figure, axes = plt.subplots(figsize=(7, 4.2))
    _line(axes, x, [p["ab_head_rps"] for p in levels], "registry raw HEAD rate (ab -i -k)", "o")
    _line(axes, x, [p["sweep_rate"] for p in levels], "scheduled sweep, unchanged tags", "s")
    axes.plot(
        x,
        [p["ab_head_rps"]["median"] / 2 for p in levels],
        linestyle="--",
        color="grey",
        label="target: half the raw HEAD rate",
    )
    skopeo = results["sweep"].get("default", {}).get("skopeo_rate")
    if skopeo:
        axes.axhline(
            skopeo["median"],
            color="tab:red",
            linestyle=":",
            label="sequential skopeo inspect --raw",
        )
    axes.set_xscale("log", base=2)
    axes.set_xticks(x, [str(c) for c in x])
    axes.set_xlabel("requests in flight (sweep: worker processes x threads)")
    axes.set_ylabel("manifest checks per second")
    axes.set_title(f"Checks of {results['sweep']['small']:,} unchanged tags vs the registry")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def _api(results: dict):
    levels = results.get("api", {}).get("levels")
    if not levels:
        return None
    x = [p["concurrency"] for p in levels]
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for name, label, marker in (
        ("trivial", "trivial Django JSON view", "o"),
        ("resolve", "resolve project/stream:tag", "s"),
    ):
        axes.plot(x, [p[name]["rps"] for p in levels], marker=marker, label=label)
    axes.set_xscale("log", base=2)
    axes.set_xticks(x, [str(c) for c in x])
    axes.set_xlabel("concurrent clients (ab -k -c N)")
    axes.set_ylabel("requests per second")
    axes.set_title("API throughput on gunicorn (4 sync workers, 2 cores)")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def _latency(results: dict):
    paths = results.get("latency")
    if not paths:
        return None
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for name, label in (("push", "push to the integrated registry"),
                        ("scheduled", "upstream push, found by a scheduled check")):  # fmt: skip
        samples = sorted(paths[name]["samples_ms"])
        share = [(i + 1) / len(samples) for i in range(len(samples))]
        axes.step(samples, share, where="post", label=f"{label} (p99 {paths[name]['p99_ms']} ms)")
    axes.axvline(1000, color="grey", linestyle="--", label="target: p99 under 1 s (push)")
    axes.set_xscale("log")
    axes.set_xlabel("change to webhook received (ms)")
    axes.set_ylabel("share of changes")
    axes.set_title("Change-to-trigger latency, cumulative distribution")
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8, loc="lower right")
    return figure


def _line(axes, x: list[int], figures: list[dict], label: str, marker: str) -> None:
    medians = [f["median"] for f in figures]
    below = [f["median"] - f["min"] for f in figures]
    above = [f["max"] - f["median"] for f in figures]
    axes.errorbar(x, medians, yerr=[below, above], marker=marker, capsize=3, label=label)
