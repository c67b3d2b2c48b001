"""Writing an image into YAML text so that only the changed value differs.

ruamel.yaml's composer gives every scalar's exact span in the text (start and
end marks); the new value replaces those characters and nothing else, so
comments, blank lines, key order, quoting, indentation, `---` and block
scalars elsewhere in the file stay byte for byte. A missing key of a
kustomize `images:` entry is added as one new line in the entry's own
indentation. Afterwards both texts are parsed again and must differ exactly
by the intended values (the self-check), or the edit is refused.

Plain Python, no Django: the write-back delivery and the dry run use it, and
so do its tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Key = str | int
Path = tuple[Key, ...]

MARKER_KEY = "$imagestream"
# A line comment holding a JSON object, after the scalar it marks (and the
# brackets that close a flow collection ending with it).
MARKER_COMMENT = re.compile(r"^[ \t\]}]*#[ \t]*(\{.*\})[ \t]*$")
MARKER_PARTS = ("name", "digest")
_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[[^\[\]]+\])*)")
_SELECTOR = re.compile(r"\[([^\[\]]+)\]")


class EditError(Exception):
    """The file cannot take the update: a path, an entry or a marker is
    missing, or the structure is not what the update expects."""


@dataclass(frozen=True)
class Image:
    """What is written: the repository part of the pull spec and the digest."""

    repository: str
    digest: str

    @property
    def pull_spec(self) -> str:
        return f"{self.repository}@{self.digest}"

    @classmethod
    def from_pull_spec(cls, pull_spec: str, digest: str) -> Image:
        repository = pull_spec.split("@", 1)[0]
        # A pull spec by tag (no digest recorded) still names the repository.
        if ":" in repository.rsplit("/", 1)[-1]:
            repository = repository.rsplit(":", 1)[0]
        return cls(repository=repository, digest=digest)


@dataclass(frozen=True)
class Edit:
    """One value to set: document number, where in it, and the new text.
    `insert`: the key is missing and is added to its mapping (kustomize
    entries only)."""

    document: int
    path: Path
    value: str
    insert: bool = False


@dataclass(frozen=True)
class MarkerReport:
    found: int
    matched: int


# --- path expressions -------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    key: str
    value: str


PathStep = str | int | Selector


def parse_path(expression: str) -> tuple[PathStep, ...]:
    """`spec.template.spec.containers[name=app].image`, `images[0].tag`, `image.digest`."""
    steps: list[PathStep] = []
    for part in expression.split("."):
        match = _SEGMENT.fullmatch(part.strip())
        if not match:
            raise EditError(f"invalid path {expression!r}: cannot read {part!r}")
        steps.append(match.group(1))
        for selector in _SELECTOR.findall(match.group(2)):
            if selector.isdigit():
                steps.append(int(selector))
            elif "=" in selector:
                key, _, value = selector.partition("=")
                steps.append(Selector(key.strip(), value.strip()))
            else:
                raise EditError(
                    f"invalid path {expression!r}: [{selector}] is not [n] or [key=value]"
                )
    return tuple(steps)


# --- reading the composed tree ----------------------------------------------


def compose(text: str) -> list[Node]:
    try:
        return [node for node in YAML().compose_all(text) if node is not None]
    except YAMLError as exc:
        raise EditError(f"not valid YAML: {_one_line(exc)}") from None


def _mapping_value(node: Node, key: str) -> tuple[Node, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _resolve(node: Node, steps: tuple[PathStep, ...]) -> tuple[Node, Path] | None:
    path: list[Key] = []
    for step in steps:
        if isinstance(step, str):
            found = _mapping_value(node, step)
            if found is None:
                return None
            node = found[1]
            path.append(step)
        elif isinstance(node, SequenceNode):
            index = step if isinstance(step, int) else _select(node, step)
            if index is None or index >= len(node.value):
                return None
            node = node.value[index]
            path.append(index)
        else:
            return None
    return node, tuple(path)


def _select(node: SequenceNode, selector: Selector) -> int | None:
    for index, item in enumerate(node.value):
        found = _mapping_value(item, selector.key)
        if found and isinstance(found[1], ScalarNode) and found[1].value == selector.value:
            return index
    return None


def _node_at(root: Node, path: Path) -> Node:
    node = root
    for key in path:
        if isinstance(key, int):
            node = node.value[key]
        else:
            found = _mapping_value(node, key)
            assert found is not None
            node = found[1]
    return node


def _scalars(node: Node, path: Path = ()) -> Iterator[tuple[ScalarNode, Path]]:
    """Every scalar in value position (mapping values, sequence items)."""
    if isinstance(node, ScalarNode):
        yield node, path
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                yield from _scalars(value_node, (*path, key_node.value))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _scalars(item, (*path, index))


# --- finding what to change ---------------------------------------------------


def field_edits(text: str, expression: str, value: str) -> list[Edit]:
    """Set the scalar at `expression` in every document where it exists (a
    Deployment's path does not exist in the Service beside it)."""
    steps = parse_path(expression)
    edits = []
    for number, root in enumerate(compose(text)):
        found = _resolve(root, steps)
        if found is None:
            continue
        node, path = found
        if not isinstance(node, ScalarNode):
            raise EditError(f"{expression} is not a single value (it holds a list or a mapping)")
        edits.append(Edit(number, path, value))
    if not edits:
        raise EditError(f"path {expression} not found")
    return edits


def kustomize_edits(text: str, name: str, image: Image) -> list[Edit]:
    """The `images:` entry named `name`: `newName` and `digest` set, added when missing."""
    for number, root in enumerate(compose(text)):
        found = _resolve(root, ("images", Selector("name", name)))
        if found is None:
            continue
        entry, path = found
        if not isinstance(entry, MappingNode):
            raise EditError(f"images entry {name!r} is not a mapping")
        return [
            Edit(number, (*path, key), value, insert=_mapping_value(entry, key) is None)
            for key, value in (("newName", image.repository), ("digest", image.digest))
        ]
    raise EditError(f"no images entry with name {name!r}")


def marker_edits(
    text: str, reference: str, image: Image, *, project: str
) -> tuple[list[Edit], MarkerReport]:
    """Scalars whose line ends with `# {"$imagestream": "<reference>[:name|:digest]"}`.

    `reference` is `project/stream:tag`; a marker may leave out the project
    (then it means `project`). Markers for other tags are counted, not edited."""
    edits, found = [], 0
    lines_end = _line_ends(text)
    for number, root in enumerate(compose(text)):
        for node, path in _scalars(root):
            marker = _marker_after(text, node, lines_end)
            if marker is None:
                continue
            found += 1
            target, part = _parse_marker(marker, project)
            if target != reference:
                continue
            value = {"": image.pull_spec, "name": image.repository, "digest": image.digest}[part]
            edits.append(Edit(number, path, value))
    return edits, MarkerReport(found=found, matched=len(edits))


def _line_ends(text: str) -> list[int]:
    return [match.start() for match in re.finditer("\n", text)] + [len(text)]


def _marker_after(text: str, node: ScalarNode, line_ends: list[int]) -> str | None:
    end = node.end_mark.index
    line_end = next(position for position in line_ends if position >= end)
    match = MARKER_COMMENT.match(text[end:line_end])
    if not match or MARKER_KEY not in match.group(1):
        return None
    try:
        document = json.loads(match.group(1))
    except ValueError:
        raise EditError(
            f"line {node.end_mark.line + 1}: marker comment is not valid JSON: {match.group(1)}"
        ) from None
    value = document.get(MARKER_KEY) if isinstance(document, dict) else None
    if not isinstance(value, str):
        raise EditError(f'line {node.end_mark.line + 1}: "{MARKER_KEY}" must name a tag')
    return value


def _parse_marker(marker: str, project: str) -> tuple[str, str]:
    """`team/app:prod` or `app:prod`, optionally `:name` or `:digest`."""
    name, _, rest = marker.partition(":")
    tag, _, part = rest.partition(":")
    if not name or not tag or part not in ("", *MARKER_PARTS):
        raise EditError(
            f"marker {marker!r} must be project/stream:tag, optionally followed by :name or :digest"
        )
    if "/" not in name:
        name = f"{project}/{name}"
    return f"{name}:{tag}", part


# --- writing ---------------------------------------------------------------


def apply(text: str, edits: list[Edit]) -> str:
    """`text` with every edit made: spans replaced from the end backwards,
    then the self-check."""
    roots = compose(text)
    # Backwards, so earlier spans keep their positions; two insertions at one
    # place land in the order of the edits.
    patches = [
        (*_patch(text, roots[edit.document], edit), order) for order, edit in enumerate(edits)
    ]
    updated = text
    for start, end, replacement, _ in sorted(patches, key=lambda p: (p[0], p[3]), reverse=True):
        updated = updated[:start] + replacement + updated[end:]
    _check(text, updated, edits)
    return updated


def _patch(text: str, root: Node, edit: Edit) -> tuple[int, int, str]:
    if edit.insert:
        return _insertion(text, _node_at(root, edit.path[:-1]), str(edit.path[-1]), edit.value)
    node = _node_at(root, edit.path)
    assert isinstance(node, ScalarNode)
    if text[node.start_mark.index] in "&!":
        # Its span starts with the anchor or tag; an anchored value also
        # changes every alias of it, which the self-check would refuse anyway.
        raise EditError(
            f"line {node.start_mark.line + 1}: the value has an anchor or a tag; "
            "write the image there by hand or mark a plain value"
        )
    if node.value == edit.value:
        return node.start_mark.index, node.start_mark.index, ""
    return node.start_mark.index, node.end_mark.index, render_scalar(edit.value, node.style)


def _insertion(text: str, mapping: Node, key: str, value: str) -> tuple[int, int, str]:
    """A new `key: value` line after the mapping's last line, indented like its first key."""
    if not isinstance(mapping, MappingNode) or mapping.flow_style or not mapping.value:
        raise EditError(
            f"cannot add {key!r}: the entry is not a block mapping; add the key by hand"
        )
    indent = mapping.value[0][0].start_mark.column
    last = mapping.value[-1][1].end_mark
    if last.column == 0:  # ends after a nested block: already at a line start
        position = last.index
    else:
        newline = text.find("\n", last.index)
        position = len(text) if newline < 0 else newline + 1
    line = f"{' ' * indent}{key}: {render_scalar(value, None)}\n"
    if position == len(text) and not text.endswith("\n"):
        line = "\n" + line.rstrip("\n")
    return position, position, line


def render_scalar(value: str, style: str | None) -> str:
    """In the old value's quoting; plain only when every YAML reader (1.1,
    as Kubernetes and Helm read it, and 1.2) takes it as this very string."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and _plain_is_safe(value):
        return value
    return json.dumps(value)


def _plain_is_safe(value: str) -> bool:
    if not value or value != value.strip() or "\n" in value:
        return False
    try:
        as_1_1 = pyyaml.safe_load(value)
        as_1_2 = YAML(typ="safe", pure=True).load(value)
    except (pyyaml.YAMLError, YAMLError):
        return False
    return as_1_1 == value and as_1_2 == value


def _check(before: str, after: str, edits: list[Edit]) -> None:
    """The parsed documents differ exactly by the intended values."""
    expected = _load(before)
    for edit in edits:
        _set(expected[edit.document], edit.path, edit.value)
    if _load(after) != expected:
        raise EditError("the edited file would change more than the image; nothing was written")


def _load(text: str) -> list[Any]:
    loader = YAML(typ="safe", pure=True)
    try:
        documents = [document for document in loader.load_all(text) if document is not None]
    except YAMLError as exc:
        raise EditError(f"the edited file would not be valid YAML: {_one_line(exc)}") from None
    # Unshared copies: a value reached through an alias must count as its own
    # value, so that changing the anchored one shows up as a second change.
    return json.loads(json.dumps(documents, default=str))


def _set(document: Any, path: Path, value: str) -> None:
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
