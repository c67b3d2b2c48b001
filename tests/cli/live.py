"""Helpers for tests that run the real CLI against a live server and a real
registry (pytest-django's `live_server`, the lab's `registry`)."""

from __future__ import annotations

import re

import pytest

from tests.personas import PASSWORD

LIVE = [pytest.mark.django_db(transaction=True), pytest.mark.registry]


def login(isctl, server: str, username: str = "editor") -> None:
    result = isctl(
        "login", "--server", server, "--username", username, "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.code == 0, result.err


def ok(result) -> str:
    """The output of a command that must succeed."""
    assert result.code == 0, f"exit {result.code}: {result.err}"
    return result.out


def sections(described: str) -> dict[str, str]:
    """`describe is` output split per tag section: {tag: its text, heading first}."""
    _, _, body = described.partition("\n\n")
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body.splitlines():
        if line and not line.startswith(" "):
            current = found.setdefault(line.split(" (", 1)[0], [])
        if current is not None:
            current.append(line)
    return {tag: "\n".join(lines).strip("\n") + "\n" for tag, lines in found.items()}


def header(described: str) -> str:
    return described.partition("\n\n")[0] + "\n"


_AGE = re.compile(
    r"(Less than a second|1 second|\d+ seconds|About a minute|\d+ minutes|About an hour"
    r"|\d+ hours|\d+ days|\d+ weeks|\d+ months|\d+ years) ago"
)


def steady(text: str, age: str = "AGE ago") -> str:
    """Relative times replaced by one placeholder, so that outputs compare exactly."""
    return _AGE.sub(age, text)
