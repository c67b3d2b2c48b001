"""Running `isctl` in-process: `isctl("get", "is")` returns (code, out, err).

The configuration file lives in the test's temporary directory and the
ISCTL_* variables are cleared, so no test reads or writes a real one."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagestreams.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def config_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config" / "isctl" / "config.json"
    monkeypatch.setenv("ISCTL_CONFIG", str(path))
    for name in ("ISCTL_SERVER", "ISCTL_TOKEN", "ISCTL_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return path


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def isctl(config_file, capsys, monkeypatch):
    def run(*argv: str, stdin: str | None = None, tty: bool = False, transport=None) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", (Terminal if tty else io.StringIO)(stdin or ""))
        code = main(list(argv), transport=transport)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run
