"""Section 4 of docs/benchmarks.md, the stream page, and its rows in the summary
of targets."""

from __future__ import annotations

from bench.report import s, target_row


def section(results: dict, pictures: dict[str, str]) -> str:
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


def targets(ui: dict) -> list[list]:
    queries = ui["queries"]
    rows = [target_row("Stream page SQL statements", "<= 15", queries, queries, 15, False)]
    render = ui["render_ms"]
    measured = s(render, " ms", 1)
    rows.append(
        target_row("Stream page render", "< 300 ms", measured, render["median"], 300, False)
    )
    return rows
