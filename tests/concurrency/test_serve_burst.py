"""The reported burst against the README's run command (`manage.py serve`:
SQLite, filesystem broker, web + worker + beat): every command succeeds, every
tag arrives, and the server never logs "database is locked".

It always uses serve's own SQLite file, whatever database the test run uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.concurrency.burst import (
    BURST,
    PROJECT,
    SHARED_STREAM,
    assert_clean_log,
    push_burst_images,
    wait_for_all_tags,
)
from tests.serving import ROOT

pytestmark = pytest.mark.registry

# The real CLI, held at a gate until every process has started: Python's
# start-up would otherwise spread the "same moment" over seconds.
GATED_CLI = """
import os, sys, time
from imagestreams.cli import main
while not os.path.exists(os.environ["BURST_GATE"]):
    time.sleep(0.01)
sys.exit(main(sys.argv[1:]))
"""
COMMAND_TIMEOUT = 600


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ISCTL_")}
    env.update(ISCTL_CONFIG=str(tmp_path / "isctl.json"), ISCTL_PROJECT=PROJECT)
    return env


def isctl(env: dict[str, str], *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imagestreams.cli", *argv],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def run_together(env: dict[str, str], gate: Path, commands: list[list[str]]) -> list[str]:
    """Start every command, open the gate, wait for all; the failures, described."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", GATED_CLI, *argv],
            cwd=ROOT,
            env={**env, "BURST_GATE": str(gate)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in commands
    ]
    gate.touch()
    failures = []
    for argv, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=COMMAND_TIMEOUT)
        if process.returncode != 0:
            failures.append(f"isctl {' '.join(argv)} -> exit {process.returncode}: {err or out}")
    return failures


def test_simultaneous_imports_and_tags_on_serve(served, registry, pusher, unique_repo, tmp_path):
    burst = push_burst_images(pusher, registry, unique_repo)
    env = cli_env(tmp_path)
    login = isctl(
        env, "login", "--server", served.url, "--username", "admin", "--password-stdin",
        stdin=served.admin_password() + "\n",
    )  # fmt: skip
    assert login.returncode == 0, login.stderr

    imports = [
        ["import-image", f"imported-{n}:latest", f"--from={burst.source(n)}", "--confirm",
         "--insecure"]
        for n in range(1, BURST + 1)
    ]  # fmt: skip
    failures = run_together(env, tmp_path / "imports-go", imports)
    tags = [
        ["tag", burst.source(n), f"{SHARED_STREAM}:x{n}", "--insecure"] for n in range(1, BURST + 1)
    ]
    failures += run_together(env, tmp_path / "tags-go", tags)
    assert not failures, "\n".join(failures) + "\n--- server log\n" + served.output()[-6000:]

    token = json.loads(Path(env["ISCTL_CONFIG"]).read_text())["token"]
    with httpx.Client(
        base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        found = wait_for_all_tags(api, burst)
    assert {name: found[name] for name in burst.expected()} == burst.expected()
    assert_clean_log(served.output())
