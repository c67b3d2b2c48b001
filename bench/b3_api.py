"""3. The API under load: resolve `project/stream:tag` and describe a stream
with 32 concurrent clients (`ab -k -c 32`) against gunicorn, next to two
trivial views on the same server in the same rounds:

- `/bench/trivial`: plain Django returning a small JSON body (the yardstick);
- `/bench/trivial-api`: a DRF view with the API's bearer-token authentication,
  which separates the framework's and the token check's cost from ours.
"""

from __future__ import annotations

import httpx
from rest_framework.test import APIClient

from bench.apps import count_queries
from bench.context import Context
from bench.profiles import SpyRecording
from bench.seed import bench_user, seed_history_stream
from bench.tools import ab, spread
from imagestreams.access import acting
from imagestreams.services.tokens import token_create

PROJECT = "api"
STREAM = "app"
CONCURRENCY = 32


def run(ctx: Context) -> dict:
    seed_history_stream(PROJECT, STREAM, host=ctx.upstream_host, tags=20, history=5)
    _, token = token_create(by=acting(bench_user(), "task"), name="bench")
    auth = {"Authorization": f"Bearer {token}"}
    endpoints = {
        "trivial": ("/bench/trivial", {}),
        "trivial_api": ("/bench/trivial-api", auth),
        "resolve": (f"/api/v1/resolve/{PROJECT}/{STREAM}:v0", auth),
        "describe": (f"/api/v1/projects/{PROJECT}/imagestreams/{STREAM}", auth),
    }
    for path, headers in endpoints.values():
        answer = httpx.get(ctx.lab.web_url + path, headers=headers, timeout=10)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} -> {answer.status_code}: {answer.text[:300]}")
    rounds: dict[str, list] = {name: [] for name in endpoints}
    for _ in range(ctx.sizes.runs):
        for name, (path, headers) in endpoints.items():
            rounds[name].append(_load(ctx, path, headers, CONCURRENCY, ctx.sizes.api_seconds))
    results = {name: _figures(runs) for name, runs in rounds.items()}
    for name in ("trivial_api", "resolve", "describe"):
        results[name]["rps_ratio_to_trivial"] = spread(
            [r.rps / t.rps for r, t in zip(rounds[name], rounds["trivial"], strict=True)], 2
        )
    return {
        "concurrency": CONCURRENCY,
        "endpoints": {name: path for name, (path, _) in endpoints.items()},
        "results": results,
        "queries": _queries(token),
        "levels": _levels(ctx, endpoints),
        "profile": _profile(ctx, *endpoints["resolve"]),
    }


def _load(ctx: Context, path: str, headers: dict, concurrency: int, seconds: float):
    return ab(
        ctx.lab.web_url + path,
        concurrency=concurrency,
        seconds=seconds,
        headers=headers,
        workdir=ctx.workdir,
    )


def _figures(runs: list) -> dict:
    return {
        "rps": spread([r.rps for r in runs]),
        "p50_ms": spread([r.p50 for r in runs]),
        "p99_ms": spread([r.p99 for r in runs]),
    }


def _levels(ctx: Context, endpoints: dict) -> list[dict]:
    """Requests per second against concurrency (one run per point)."""
    points = []
    for concurrency in ctx.sizes.api_levels:
        point = {"concurrency": concurrency}
        for name in ("trivial", "resolve"):
            path, headers = endpoints[name]
            result = _load(ctx, path, headers, concurrency, ctx.sizes.api_level_seconds)
            point[name] = {"rps": round(result.rps, 1), "p99_ms": result.p99}
        points.append(point)
    return points


def _queries(token: str) -> dict[str, int]:
    """SQL statements per request (Django's test client, same settings)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = {}
    for name, path in (
        ("resolve", f"/api/v1/resolve/{PROJECT}/{STREAM}:v0"),
        ("describe", f"/api/v1/projects/{PROJECT}/imagestreams/{STREAM}"),
        ("trivial_api", "/bench/trivial-api"),
    ):
        client.get(path)  # warm (e.g. the token's last-used time)
        with count_queries() as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} -> {response.status_code}")
        counts[name] = queries.count
    return counts


def _profile(ctx: Context, path: str, headers: dict) -> dict:
    """py-spy over every gunicorn worker while resolve is under load."""
    seconds = max(ctx.sizes.api_seconds, 1)
    recording = SpyRecording(ctx.lab.web.pid, ctx.workdir / "profile-resolve.raw", seconds=seconds)
    _load(ctx, path, headers, CONCURRENCY, ctx.sizes.api_seconds)
    return recording.summary()
