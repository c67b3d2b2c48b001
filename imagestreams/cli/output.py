"""Machine-readable output: `-o json` and `-o yaml` print the API's objects
as they are (docs/api.md), so scripts can rely on the documented fields."""

from __future__ import annotations

import json
from typing import Any


def render(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    raise ValueError(f"unknown output format {fmt!r}")


def as_list(items: list[Any]) -> dict[str, Any]:
    """Lists are wrapped, so that `jq .items[]` works whatever the count."""
    return {"items": items}
