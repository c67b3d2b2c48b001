"""`oc get is|istag|isimage` tables (openshift-apiserver's printers) and the
history table, which `oc` does not have."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imagestreams.cli.format.humanize import ago, parse_time
from imagestreams.cli.format.tabwriter import table_layout

TAGS_WIDTH = 40  # characters budgeted for the TAGS column of `get is`


def streams_table(streams: list[dict[str, Any]], now: datetime, *, project: str = "") -> str:
    """Streams of other projects (shared with this one) are named
    PROJECT/NAME and marked `read-only` in a last column, shown only then."""
    shared = any(shown_name(stream, project) != stream.get("name") for stream in streams)
    rows = [["NAME", "IMAGE REPOSITORY", "TAGS", "UPDATED"] + (["SHARED"] if shared else [])]
    for stream in streams:
        tags = stream.get("tags") or []
        heads = [parse_time(tag["items"][0].get("created")) for tag in tags if tag.get("items")]
        latest = max((when for when in heads if when), default=None)
        repository = stream.get("spec_repository") or stream.get("repository") or ""
        name = shown_name(stream, project)
        row = [
            name,
            stream.get("public_repository") or repository,
            tags_up_to_width(tags, TAGS_WIDTH),
            ago(latest, now),
        ]
        rows.append(row + (["read-only" if name != stream.get("name") else ""] if shared else []))
    # An own stream's SHARED cell is empty: no padding after UPDATED.
    return "".join(line.rstrip() + "\n" for line in table_layout(rows).splitlines())


def shown_name(stream: dict[str, Any], project: str) -> str:
    """NAME, or PROJECT/NAME for a stream of another project."""
    owner = stream.get("project")
    if project and owner and owner != project:
        return f"{owner}/{stream.get('name', '')}"
    return stream.get("name", "")


def tags_up_to_width(tags: list[dict[str, Any]], width: int) -> str:
    """Status tags, most recently updated first, as many as fit in `width`
    (at least one; a little more when that makes the column less ragged)."""
    status = [tag for tag in tags if tag.get("items") or tag.get("conditions")]
    names = [tag["name"] for tag in sorted(status, key=_newest_first)]
    shown = names
    remaining = width
    for index, name in enumerate(names):
        remaining -= len(name) + 1
        if remaining >= 0:
            continue
        if index == 0:
            shown = names[:1]
            break
        margin = width // 4
        if margin < remaining + len(name) and margin >= -remaining:
            continue
        shown = names[:index]
        break
    hidden = len(status) - len(shown)
    text = ",".join(shown)
    return f"{text} + {hidden} more..." if hidden > 0 else text


def _newest_first(tag: dict[str, Any]) -> tuple:
    items = tag.get("items") or []
    created = parse_time(items[0].get("created")) if items else None
    # Tags without history go last; ties are broken by name.
    return (created is None, -(created.timestamp() if created else 0), tag["name"])


def istags_table(istags: list[dict[str, Any]], now: datetime, *, wide: bool) -> str:
    header = ["NAME", "IMAGE REFERENCE", "UPDATED"] + (["IMAGE NAME"] if wide else [])
    rows = [header]
    for istag in istags:
        image = istag.get("image") or {}
        row = [istag.get("name", ""), image.get("reference", ""), _ago(istag.get("created"), now)]
        rows.append(row + ([image.get("digest", "")] if wide else []))
    return table_layout(rows)


def isimages_table(isimages: list[dict[str, Any]], now: datetime, *, wide: bool) -> str:
    header = ["NAME", "UPDATED"] + (["IMAGE REFERENCE", "IMAGE NAME"] if wide else [])
    rows = [header]
    for isimage in isimages:
        image = isimage.get("image") or {}
        row = [isimage.get("name", ""), _ago(isimage.get("created"), now)]
        rows.append(row + ([image.get("reference", ""), image.get("digest", "")] if wide else []))
    return table_layout(rows)


def history_table(items: list[dict[str, Any]], now: datetime, *, wide: bool) -> str:
    """One row per history entry, newest (current) first; STEP is what
    `rollback --steps` takes."""
    header = ["STEP", "IMAGE", "CAUSE", "BY", "UPDATED"] + (["PULL SPEC"] if wide else [])
    rows = [header]
    for step, item in enumerate(items):
        row = [
            str(step),
            short_digest(item.get("image") or "") or "<none>",
            item.get("cause") or "<none>",
            item.get("actor") or "<none>",
            _ago(item.get("created"), now),
        ]
        rows.append(row + ([item.get("reference", "")] if wide else []))
    return table_layout(rows)


def short_digest(digest: str) -> str:
    """`sha256:` and the first 12 hex digits: enough to name an image uniquely
    in practice, and accepted wherever a digest prefix is."""
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:12]}" if hex_part else digest


def _ago(text: str | None, now: datetime) -> str:
    return ago(parse_time(text), now)
