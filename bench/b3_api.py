"""3. The API under load: resolve `project/stream:tag` and describe a stream
with 32 concurrent clients (`ab -k -c 32`) against gunicorn, next to two
trivial views on the same server in the same rounds:

- `/bench/trivial`: plain Django returning a small JSON body (the yardstick);
- `/bench/trivial-api`: a DRF view with the API's bearer-token authentication,
  which separates the framework's and the token check's cost from ours.

Resolve is measured twice: a plain GET, and the GET of a pipeline that polls
with the ETag it got (`If-None-Match`, answered 304 while the tag is
unchanged). Nothing changes the stream meanwhile, so under load resolve and
describe are answered from the shared cache (imagestreams.freshness); what a
read costs right after a change ("cold") is measured apart, in this process
(`reads`). Then the same server with other gunicorn worker settings.
"""

from __future__ import annotations

import time

import httpx
from rest_framework.test import APIClient

from bench.apps import count_queries
from bench.context import Context
from bench.lab import GUNICORN_DEFAULT
from bench.profiles import SpyRecording
from bench.seed import bench_user, seed_history_stream
from bench.tools import ab, spread
from imagestreams import freshness
from imagestreams.access import acting
from imagestreams.services.tokens import token_create

PROJECT = "api"
STREAM = "app"
CONCURRENCY = 32
# gunicorn worker settings compared: the production example (sync), fewer
# sync workers, `manage.py serve`'s threads, and threads over more processes.
GUNICORN_CONFIGS = {
    "sync, 4 processes": GUNICORN_DEFAULT,
    "sync, 2 processes": ("-w", "2"),
    "gthread, 2 processes x 8 threads": ("-w", "2", "--worker-class", "gthread", "--threads", "8"),
    "gthread, 4 processes x 4 threads": ("-w", "4", "--worker-class", "gthread", "--threads", "4"),
}


def run(ctx: Context) -> dict:
    seed_history_stream(PROJECT, STREAM, host=ctx.upstream_host, tags=20, history=5)
    _, token = token_create(by=acting(bench_user(), "task"), name="bench")
    auth = {"Authorization": f"Bearer {token}"}
    resolve = f"/api/v1/resolve/{PROJECT}/{STREAM}:v0"
    endpoints = {
        "trivial": ("/bench/trivial", {}),
        "trivial_api": ("/bench/trivial-api", auth),
        "resolve": (resolve, auth),
        "resolve_304": (resolve, {**auth, "If-None-Match": _etag(ctx, resolve, auth)}),
        "describe": (f"/api/v1/projects/{PROJECT}/imagestreams/{STREAM}", auth),
    }
    for path, headers in endpoints.values():
        answer = httpx.get(ctx.lab.web_url + path, headers=headers, timeout=10)
        if answer.status_code != (304 if "If-None-Match" in headers else 200):
            raise RuntimeError(f"GET {path} -> {answer.status_code}: {answer.text[:300]}")
    rounds: dict[str, list] = {name: [] for name in endpoints}
    for _ in range(ctx.sizes.runs):
        for name, (path, headers) in endpoints.items():
            rounds[name].append(_load(ctx, path, headers, CONCURRENCY, ctx.sizes.api_seconds))
    results = {name: _figures(runs) for name, runs in rounds.items()}
    for name in ("trivial_api", "resolve", "resolve_304", "describe"):
        results[name]["rps_ratio_to_trivial"] = spread(
            [r.rps / t.rps for r, t in zip(rounds[name], rounds["trivial"], strict=True)], 2
        )
    return {
        "concurrency": CONCURRENCY,
        "endpoints": {name: path for name, (path, _) in endpoints.items()},
        "results": results,
        "queries": _queries(token, endpoints["resolve_304"][1]["If-None-Match"]),
        "reads": _reads(token, ctx.sizes.short_profiles),
        "levels": _levels(ctx, endpoints),
        "profile": _profile(ctx, *endpoints["resolve"]),
        "gunicorn": _gunicorn_configs(ctx, endpoints),
    }


def _etag(ctx: Context, path: str, headers: dict) -> str:
    answer = httpx.get(ctx.lab.web_url + path, headers=headers, timeout=10)
    etag = answer.headers.get("ETag", "")
    if answer.status_code != 200 or not etag:
        raise RuntimeError(f"GET {path} -> {answer.status_code} without an ETag")
    return etag


def _load(ctx: Context, path: str, headers: dict, concurrency: int, seconds: float):
    return ab(
        ctx.lab.web_url + path,
        concurrency=concurrency,
        seconds=seconds,
        headers=headers,
        workdir=ctx.workdir,
        not_modified="If-None-Match" in headers,
    )


def _gunicorn_configs(ctx: Context, endpoints: dict) -> list[dict]:
    """The trivial view, resolve and describe under each worker setting (one
    run each, in the same order), then the default server again."""
    chosen = ctx.sizes.gunicorn_configs or tuple(GUNICORN_CONFIGS)
    compared = []
    try:
        for name in chosen:
            workers = GUNICORN_CONFIGS[name]
            ctx.lab.start_web(workers)
            point: dict = {"config": name, "args": " ".join(workers)}
            for endpoint in ("trivial", "resolve", "resolve_304", "describe"):
                path, headers = endpoints[endpoint]
                result = _load(ctx, path, headers, CONCURRENCY, ctx.sizes.api_seconds)
                point[endpoint] = {"rps": round(result.rps, 1), "p99_ms": result.p99}
            compared.append(point)
    finally:
        ctx.lab.start_web()
    return compared


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


def _queries(token: str, etag: str) -> dict[str, int]:
    """SQL statements per request (Django's test client, same settings), the
    token checked before (it is, for AUTH_CACHE_SECONDS, in each web process)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    resolve = f"/api/v1/resolve/{PROJECT}/{STREAM}:v0"
    counts = {}
    for name, path, headers in (
        ("resolve", resolve, {}),
        ("resolve_304", resolve, {"HTTP_IF_NONE_MATCH": etag}),
        ("describe", f"/api/v1/projects/{PROJECT}/imagestreams/{STREAM}", {}),
        ("trivial_api", "/bench/trivial-api", {}),
    ):
        client.get(path, **headers)  # warm (the token's check and last-used time)
        with count_queries() as queries:
            response = client.get(path, **headers)
        if response.status_code != (304 if headers else 200):
            raise RuntimeError(f"GET {path} -> {response.status_code}")
        counts[name] = queries.count
    return counts


def _reads(token: str, short: bool) -> dict[str, dict]:
    """Resolve and describe in this process (Django's test client, same
    settings): statements and CPU ms per request when the answer comes from
    the cache, and when it does not (a "cold" read: the first after the
    stream changed, its version forgotten before each request as a commit
    does). CPU is the best of 3 x 50 requests (3 x 5 in a smoke run)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    paths = {
        "resolve": f"/api/v1/resolve/{PROJECT}/{STREAM}:v0",
        "describe": f"/api/v1/projects/{PROJECT}/imagestreams/{STREAM}",
    }
    requests = 5 if short else 50
    figures: dict[str, dict] = {}
    for name, path in paths.items():
        figures[name] = {}
        for kind, changed in (("cached", False), ("cold", True)):

            def read(path=path, changed=changed) -> None:
                if changed:
                    freshness.stream_changed(PROJECT, STREAM)  # at once: no transaction
                if client.get(path).status_code != 200:
                    raise RuntimeError(f"GET {path} failed")

            read()  # the token checked, the answer recorded
            with count_queries() as queries:
                read()
            best = float("inf")
            for _ in range(3):
                started = time.process_time()
                for _ in range(requests):
                    read()
                best = min(best, (time.process_time() - started) / requests)
            figures[name][f"statements_{kind}"] = queries.count
            figures[name][f"cpu_ms_{kind}"] = round(best * 1000, 2)
    return figures


def _profile(ctx: Context, path: str, headers: dict) -> dict:
    """py-spy over every gunicorn worker while resolve is under load."""
    seconds = max(ctx.sizes.api_seconds, 1)
    recording = SpyRecording(ctx.lab.web.pid, ctx.workdir / "profile-resolve.raw", seconds=seconds)
    _load(ctx, path, headers, CONCURRENCY, ctx.sizes.api_seconds)
    return recording.summary(stop=ctx.sizes.short_profiles)
