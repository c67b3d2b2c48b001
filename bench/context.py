"""What every benchmark gets: the sizes, the running lab, the seeded data,
and the counters (access logs, the workers' per-task probe)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import Sizes
from bench.lab import Lab
from bench.seed import UpstreamTag
from bench.tools import AccessLog
from tests.triggers.receiver import Receiver


@dataclass
class Context:
    sizes: Sizes
    lab: Lab
    out: Path  # where charts and profiles go
    sweep_upstream: list[UpstreamTag] = field(default_factory=list)
    bulk_upstream: list[UpstreamTag] = field(default_factory=list)
    bulk_repository: str = ""
    sweep_tag_ids: list[int] = field(default_factory=list)  # project "sweep"
    scheduled_total: int = 0  # scheduled tags of the scale projects
    scale_projects: list[str] = field(default_factory=list)  # "sweep" and its copies
    receiver: Receiver | None = None
    notes: list[str] = field(default_factory=list)
    # A benchmark that restarts web or worker with other settings puts the
    # defaults back at its end, unless it is the run's last (Lab.stop follows).
    restore_lab: bool = True

    @property
    def workdir(self) -> Path:
        return self.lab.workdir

    @property
    def upstream_host(self) -> str:
        return self.lab.upstream.host

    @property
    def upstream_log(self) -> AccessLog:
        return AccessLog(self.lab.upstream.log_path)

    @property
    def integrated_log(self) -> AccessLog:
        return AccessLog(self.lab.integrated.log_path)

    def probe_mark(self) -> int:
        path = self.lab.probe_file
        return path.stat().st_size if path.exists() else 0

    def probe_since(self, mark: int, *, task: str = "", settle: float = 0.3) -> list[dict]:
        """Records of the tasks that finished since `mark` (optionally one task name)."""
        time.sleep(settle)  # the last task writes its line just after its result
        path = self.lab.probe_file
        if not path.exists():
            return []
        with path.open() as probe:
            probe.seek(mark)
            records = [json.loads(line) for line in probe if line.strip()]
        return [r for r in records if not task or r["task"].endswith(task)]
