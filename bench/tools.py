"""Outside yardsticks and counters: ApacheBench, skopeo, the registry's access
log, and the statistics every figure is quoted with."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.registry_lab.build import ACCEPT_ALL

AB = shutil.which("ab") or "/usr/bin/ab"
SKOPEO = shutil.which("skopeo") or "/usr/bin/skopeo"


# --- statistics --------------------------------------------------------------


def spread(values: list[float], digits: int = 1) -> dict[str, float]:
    """Median, min and max of several runs (what the report quotes)."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: an observed value)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- ApacheBench -------------------------------------------------------------


@dataclass
class AbResult:
    rps: float
    complete: int
    failed: int
    non_2xx: int
    percentiles: dict[int, float]  # 50 -> ms

    @property
    def p50(self) -> float:
        return self.percentiles.get(50, 0.0)

    @property
    def p99(self) -> float:
        return self.percentiles.get(99, 0.0)


def ab(
    url: str,
    *,
    concurrency: int,
    seconds: float,
    head: bool = False,
    headers: dict[str, str] | None = None,
    workdir: Path,
    not_modified: bool = False,
) -> AbResult:
    """`ab -k` for `seconds` at `concurrency` (`-i`: HEAD requests). With
    `seconds` 0 (smoke runs), a fixed number of requests instead: however slow
    a busy machine is, the run ends with answers to count (one round per
    client: the code path is the same, the figures mean nothing anyway).
    `not_modified`: every answer is expected to be a 304 (ab counts it as non-2xx)."""
    csv = workdir / "ab-percentiles.csv"
    if seconds > 0:
        # ab reads -t as whole seconds (0 would mean "until -n requests").
        limit = ["-t", str(max(1, round(seconds))), "-n", "10000000"]
    else:
        limit = ["-n", str(max(concurrency, 20))]
    command = [AB, "-q", "-k", "-c", str(concurrency), *limit, "-e", str(csv)]
    if head:
        command.append("-i")
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"ab failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    text = out.stdout
    result = AbResult(
        rps=_number(text, r"Requests per second:\s+([\d.]+)"),
        complete=int(_number(text, r"Complete requests:\s+(\d+)")),
        failed=int(_number(text, r"Failed requests:\s+(\d+)")),
        non_2xx=int(_number(text, r"Non-2xx responses:\s+(\d+)", default=0)),
        percentiles=_percentiles(csv),
    )
    # ab counts the answers of requests still in flight at the end among non-2xx ones.
    wrong = max(0, result.complete - result.non_2xx) if not_modified else result.non_2xx
    if wrong or result.complete == 0:
        raise RuntimeError(f"ab got {wrong} unexpected answers from {url}:\n{text[-800:]}")
    return result


def ab_head_manifest(
    registry_url: str, repo: str, tag: str, *, concurrency: int, seconds: float, workdir: Path
) -> AbResult:
    """The registry's raw manifest-HEAD rate, as registry-lab §6 measures it."""
    return ab(
        f"{registry_url}/v2/{repo}/manifests/{tag}",
        concurrency=concurrency,
        seconds=seconds,
        head=True,
        headers={"Accept": ACCEPT_ALL},
        workdir=workdir,
    )


def _number(text: str, pattern: str, default: float | None = None) -> float:
    match = re.search(pattern, text)
    if match is None:
        if default is not None:
            return default
        raise RuntimeError(f"ab output without /{pattern}/:\n{text[-800:]}")
    return float(match.group(1))


def _percentiles(csv: Path) -> dict[int, float]:
    found = {}
    for line in csv.read_text().splitlines()[1:]:
        pct, ms = line.split(",")
        found[int(pct)] = float(ms)
    return found


# --- skopeo ------------------------------------------------------------------


def skopeo(*args: str) -> bytes:
    out = subprocess.run(
        [SKOPEO, *args, "--tls-verify=false", "--no-creds"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"skopeo {' '.join(args)}: {out.stderr.decode(errors='replace')}")
    return out.stdout


def skopeo_loop(references: list[str], *args: str) -> float:
    """Seconds for one `skopeo <args> docker://ref` per reference, one after the other."""
    started = time.perf_counter()
    for reference in references:
        skopeo(*args, f"docker://{reference}")
    return time.perf_counter() - started


# --- the registry's access log -------------------------------------------------

_REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')
_AGENT = re.compile(r'"(?P<agent>[^"]*)"\s*$')


class AccessLog:
    """Counts the requests a registry served between two marks."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def count(self, since: int, *, agent: str = "") -> Counter[str]:
        """Requests since the mark by kind: "HEAD manifest", "GET ping", …,
        only those whose User-Agent starts with `agent` when given."""
        time.sleep(0.2)  # the registry writes its line after answering
        with self.path.open("rb") as log:
            log.seek(since)
            lines = log.read().decode(errors="replace").splitlines()
        counts: Counter[str] = Counter()
        for line in lines:
            request = _REQUEST.search(line)
            if request is None:
                continue
            found_agent = _AGENT.search(line)
            if agent and not (found_agent and found_agent.group("agent").startswith(agent)):
                continue
            counts[f"{request.group('method')} {_kind(request.group('path'))}"] += 1
        return counts


def _kind(path: str) -> str:
    path = path.split("?", 1)[0]
    if path in ("/v2/", "/v2"):
        return "ping"
    for part, kind in (
        ("/manifests/", "manifest"),
        ("/blobs/uploads", "upload"),
        ("/blobs/", "blob"),
        ("/tags/list", "tags/list"),
        ("/_catalog", "catalog"),
    ):
        if part in path:
            return kind
    return "other"
