"""The API's OpenAPI schema (drf-spectacular, generated in-process) as JSON
Schema validators of its responses, so the CLI's canned answers
(tests/cli/fakes.py) must look like what the API really sends."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

PREFIX = "/api/v1/"


class NoSuchResponse(AssertionError):
    """The API has no such operation, or never answers it with this status."""


def response_errors(
    method: str, path: str, status: int, body: Any, media_type: str = "application/json"
) -> list[str]:
    """Why `body` is not what the API answers to `method path` with `status`
    (empty: it is). A text answer (an export) is checked by its media type."""
    operation = _operation(method, path)
    response = operation["responses"].get(str(status))
    if response is None:
        raise NoSuchResponse(f"{method} {path} never answers {status}")
    if media_type != "application/json":
        declared = response.get("content", {})
        if media_type in declared:
            return []
        return [f"{method} {path} {status} never answers {media_type} (only {sorted(declared)})"]
    content = response.get("content", {}).get("application/json")
    if content is None:
        return [] if body is None else [f"{method} {path} {status} has no body, got {body!r}"]
    if body is None:
        return [f"{method} {path} {status} has a JSON body, got none"]
    validator = Draft202012Validator(_with_components(content["schema"]))
    return [
        f"{method} {path} {status} at {'/'.join(map(str, error.absolute_path)) or '(root)'}: "
        f"{error.message}"
        for error in validator.iter_errors(body)
    ]


def _operation(method: str, path: str) -> dict:
    for pattern, operations in _paths():
        if pattern.fullmatch(path) and method.lower() in operations:
            return operations[method.lower()]
    raise NoSuchResponse(f"the API has no operation {method} {path}")


@cache
def _paths() -> list[tuple[re.Pattern[str], dict]]:
    # Literal paths first: /tokens/{id} must not swallow a literal sibling.
    paths = sorted(_schema()["paths"].items(), key=lambda item: item[0].count("{"))
    return [(re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(p))), ops) for p, ops in paths]


def _with_components(schema: dict) -> dict:
    return {**schema, "components": _schema()["components"]}


@cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return _json_schema(SchemaGenerator().get_schema(request=None, public=True))


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted
