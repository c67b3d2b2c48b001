"""The small vocabulary `oc describe` writes with (formatString, formatTime,
formatMapStringString); the text goes through the describe tabwriter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from imagestreams.cli.format.humanize import ago
from imagestreams.cli.format.tabwriter import describe_layout

NONE = "<none>"


class DescribeWriter:
    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        self._parts.append(text)

    def field(self, label: str, value: object) -> None:
        """`Label:<TAB>value`; continuation lines of a multi-line value start
        with a TAB, so they line up under the first one."""
        text = NONE if value is None or value == "" else str(value)
        self.write(f"{label}:")
        for line in text.split("\n"):
            self.write(f"\t{line}\n")

    def time(self, label: str, when: datetime, now: datetime) -> None:
        self.write(f"{label}:\t{ago(when, now)}\n")

    def mapping(self, label: str, items: Mapping[str, object] | None) -> None:
        """`key=value` pairs sorted by key, one per line; `<none>` when empty."""
        if not items:
            self.field(label, "")
            return
        for index, key in enumerate(sorted(items)):
            if index == 0:
                self.field(label, f"{key}={items[key]}")
            else:
                self.write(f"\t{key}={items[key]}\n")

    def annotations(self, annotations: Mapping[str, object] | None) -> None:
        """The `description` annotation gets its own line, the rest a list."""
        remaining = dict(annotations or {})
        description = remaining.pop("description", "")
        if description:
            self.field("Description", description)
        self.mapping("Annotations", remaining)

    def text(self) -> str:
        return describe_layout("".join(self._parts))
