"""The sweep's choice of HTTP client (in section 1 of docs/benchmarks.md)."""

from __future__ import annotations

from bench.report import s, table


def section(results: dict, pictures: dict[str, str]) -> str:
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
`QuickHeads`, prepared HEADs on one event loop with its own HEAD-only HTTP/1.1 exchange (a
worker's path for tags expected unchanged; aiohttp until round 5).

{table(header, rows)}"""
