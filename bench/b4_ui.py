"""4. The stream page with many tags and long histories: SQL statements per
render and server render time (Django's test client in this process: the
whole request through middleware, view and template, without a network)."""

from __future__ import annotations

import time

from django.test import Client
from django.urls import reverse

from bench.apps import count_queries
from bench.context import Context
from bench.profiles import cprofile
from bench.seed import bench_user, seed_history_stream
from bench.tools import spread

PROJECT = "ui"
STREAM = "big"


def run(ctx: Context) -> dict:
    sizes = ctx.sizes
    seed_history_stream(
        PROJECT, STREAM, host=ctx.upstream_host, tags=sizes.ui_tags, history=sizes.ui_history
    )
    client = Client()
    client.force_login(bench_user())
    url = reverse("web:stream", args=[PROJECT, STREAM])
    first = _get(client, url)  # warm: templates compiled, session read once
    with count_queries() as queries:
        _get(client, url)
    times = []
    for _ in range(sizes.ui_runs):
        started = time.perf_counter()
        _get(client, url)
        times.append(1000 * (time.perf_counter() - started))
    return {
        "tags": sizes.ui_tags,
        "history": sizes.ui_history,
        "url": url,
        "html_kib": round(len(first.content) / 1024, 1),
        "queries": queries.count,
        "render_ms": spread(times),
        "profile": cprofile(lambda: _get(client, url)),
    }


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} -> {response.status_code}")
    return response
