"""Change -> commit pushed, beside change -> webhook received (Git write-back triggers).

`python -m bench.gitops_latency [--changes 50] [--together 4] [--out FILE]`, standalone (not
part of `bench/run`): its own SQLite database in a temporary folder, a real Git server
(`git http-backend` behind Basic auth, tests/triggers/gitserver.py) and a real webhook
receiver, both on loopback.

What one sample measures, on one clock (time.monotonic): from the moment the tag move's
transaction has committed (the change is in the feed) to
- webhook: the receiver has read the webhook request;
- git: `git push` has returned, i.e. the Git server has accepted the commit (fetch,
  edit, self-check, commit, push; the repository holds a kustomization and a values file).
The fan-out and the send run in this process one after the other, as a worker runs them, so
the figures leave out the broker and worker pick-up that bench/b2_latency.py includes for
webhooks; they compare the cost of the two kinds of delivery. `--together N` moves N tags of
one repository at the same moment, each delivered by its own thread: every change must land
as its own commit, and the figures say how long the last one waited (re-applying after
rejected pushes).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="imagestreams-gitops-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    from tests.processes import tasks_lost

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    with tasks_lost():  # this process plays the worker: queued tasks must not run by themselves
        results = _run(scratch, args.changes, args.together)
    results["load"] = load
    text = _report(results)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.gitops_latency")
    parser.add_argument("--changes", type=int, default=50, help="samples per kind (default 50)")
    parser.add_argument("--together", type=int, default=4, help="tags moved at once (default 4)")
    parser.add_argument("--out", help="also write the Markdown report to this file")
    return parser


def _run(scratch: Path, changes: int, together: int) -> dict:
    from tests.triggers.gitserver import GitServer
    from tests.triggers.receiver import Receiver

    root = scratch / "git"
    root.mkdir()
    server = GitServer(root).start()
    receiver = Receiver().start()
    try:
        lab = _Lab(server, receiver, together)
        lab.warm_up()
        webhook = [lab.webhook_sample(index) for index in range(changes)]
        git = [lab.git_sample(index) for index in range(changes)]
        rounds = [lab.together_round(index) for index in range(max(1, changes // together))]
    finally:
        server.stop()
        receiver.stop()
    return {"webhook": webhook, "git": git, "together": rounds, "n_together": together}


class _Lab:
    """The project, streams and triggers, and one sample of each kind."""

    def __init__(self, server, receiver, together: int) -> None:
        from imagestreams.access import acting_system
        from imagestreams.models import Project
        from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
        from triggers.services.triggers import trigger_create

        self.server, self.receiver, self.together = server, receiver, together
        markers = "".join(
            f'env{n}:\n  image: old/app:1 # {{"$imagestream": "bench/app:t{n}"}}\n'
            for n in range(together)
        )
        server.create(
            {
                "overlays/prod/kustomization.yaml": "images:\n  - name: app\n    newTag: v1\n",
                "values.yaml": "image:\n  repository: old/app\n  digest: ''\n",
                "envs.yaml": markers,
            }
        )
        self.project = Project.objects.create(name="bench")
        self.base = StreamFactory(project=self.project, name="base")
        self.images = 0
        self._image_factory = lambda: TagEventFactory(
            tag=TagFactory(stream=self.base, name=f"i{self._next()}"), image=ImageFactory()
        )
        common = {"by": acting_system(), "project": self.project, "stream": "app"}
        trigger_create(name="hook", tag="web", url=f"{receiver.url}/hook", **common)
        git = {"preset": "git", "url": server.url(), "token": server.token}
        updates = [
            {"file": "overlays/prod/kustomization.yaml", "type": "kustomize", "name": "app"},
            {"file": "values.yaml", "type": "helm"},
        ]
        options = {"username": server.username, "updates": updates}
        trigger_create(name="git", tag="git", options=options, **git, **common)
        marked = {"username": server.username, "updates": [{"file": "envs.yaml", "type": "marker"}]}
        for n in range(together):
            trigger_create(name=f"git-t{n}", tag=f"t{n}", options=marked, **git, **common)

    def _next(self) -> int:
        self.images += 1
        return self.images

    def warm_up(self) -> None:
        self.webhook_sample(-1)
        self.git_sample(-1)

    def webhook_sample(self, index: int) -> float:
        from triggers.services.deliveries import delivery_send

        seen = len(self.receiver.requests)
        [delivery] = self._timed_move("web")
        delivery_send(delivery)
        arrived = self.receiver.wait_for(seen + 1)[-1].at
        return 1000 * (arrived - self._moved)

    def git_sample(self, index: int) -> float:
        from triggers.models import AttemptOutcome
        from triggers.services.deliveries import delivery_send

        [delivery] = self._timed_move("git")
        attempt = delivery_send(delivery)
        pushed = time.monotonic()
        if attempt is None or attempt.outcome != AttemptOutcome.SUCCESS or not attempt.commit:
            raise RuntimeError(f"git delivery failed: {attempt and attempt.error}")
        return 1000 * (pushed - self._moved)

    def _timed_move(self, tag: str) -> list[int]:
        """Move app:<tag> to a new image and fan the change out; the clock
        starts once the move has committed."""
        from imagestreams.access import acting_system
        from imagestreams.models import TagChange
        from imagestreams.services.tagging import tag_set
        from triggers.models import Delivery
        from triggers.services.fanout import tag_change_fan_out

        event = self._image_factory()
        source = f"base:{event.tag.name}"
        moved = [f"app:{tag}"]
        tag_set(project=self.project, source=source, destinations=moved, by=acting_system())
        self._moved = time.monotonic()
        change = TagChange.objects.filter(tag_name=tag).order_by("-id").first()
        assert change is not None
        tag_change_fan_out(change.pk)
        return list(Delivery.objects.filter(change=change).values_list("pk", flat=True))

    def together_round(self, index: int) -> list[float]:
        """N tags moved at once, each delivered by its own thread; per-change latencies."""
        from django.db import connection

        from triggers.models import AttemptOutcome
        from triggers.services.deliveries import delivery_send

        deliveries = [self._timed_move(f"t{n}")[0] for n in range(self.together)]
        start = time.monotonic()
        barrier = threading.Barrier(self.together)
        latencies: list[float] = []
        failures: list[str] = []

        def send(delivery: int) -> None:
            try:
                barrier.wait()
                attempt = delivery_send(delivery)
                if attempt is None or attempt.outcome != AttemptOutcome.SUCCESS:
                    failures.append(str(attempt and attempt.error))
                latencies.append(1000 * (time.monotonic() - start))
            finally:
                connection.close()

        threads = [threading.Thread(target=send, args=(pk,)) for pk in deliveries]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise RuntimeError(f"a concurrent write-back failed: {failures}")
        return latencies


def _report(results: dict) -> str:
    from bench.tools import percentile

    def row(name: str, values: list[float]) -> str:
        p50, p99 = percentile(values, 50), percentile(values, 99)
        return f"| {name} | {len(values)} | {p50:.0f} | {p99:.0f} | {max(values):.0f} |"

    together = [value for round_ in results["together"] for value in round_]
    n = results["n_together"]
    lines = [
        "# Git write-back latency",
        "",
        f"`python -m bench.gitops_latency`, {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {_git_version()}; SQLite; Git server and "
        "webhook receiver on loopback; load average at the start "
        f"{results['load']} (other work was running on the machine). Milliseconds from the "
        "tag move's commit; see the module's docstring for what is and is not included.",
        "",
        "| delivery | samples | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        row("webhook received (JSON webhook)", results["webhook"]),
        row("commit pushed (kustomization + values)", results["git"]),
        row(f"commit pushed, {n} tags of one repository at once (from their release)", together),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _git_version() -> str:
    import subprocess

    return subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
