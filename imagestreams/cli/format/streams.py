"""`oc describe is/NAME`: the stream header, then one section per tag in
priority order, with same-stream aliases folded into their target's heading."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imagestreams.cli.format.humanize import ago, parse_time
from imagestreams.cli.format.priority import prioritize_tags
from imagestreams.cli.format.writer import DescribeWriter

Tag = dict[str, Any]

# (kind, reference?, scheduled?) -> how the source line reads; first match wins.
_SOURCE_LINES = {
    "ImageStreamTag": ("  reference to {name}", "  updates automatically from {name}"),
    "DockerImage": (
        "  reference to registry {name}",
        "  updates automatically from registry {name}",
    ),
    "ImageStreamImage": ("  reference to image {name}", None),
}


def describe_stream(stream: dict[str, Any], now: datetime) -> str:
    out = DescribeWriter()
    out.field("Name", stream.get("name"))
    if stream.get("project"):
        out.field("Namespace", stream["project"])
    created = parse_time(stream.get("created"))
    if created:
        out.time("Created", created, now)
    out.mapping("Labels", stream.get("labels"))
    out.annotations(stream.get("annotations"))
    out.field("Image Repository", stream.get("public_repository") or stream.get("repository"))
    out.field("Image Lookup", f"local={'true' if stream.get('lookup_local') else 'false'}")
    _write_tags(out, stream, now)
    return out.text()


def _write_tags(out: DescribeWriter, stream: dict[str, Any], now: datetime) -> None:
    tags: dict[str, Tag] = {tag["name"]: tag for tag in stream.get("tags") or []}
    status_tags = [name for name, tag in tags.items() if _has_status(tag)]
    spec_only = [
        name for name, tag in tags.items() if tag.get("spec") is not None and not _has_status(tag)
    ]
    if not status_tags and not spec_only:
        out.write("Tags:\t<none>\n")
        return
    out.write(f"Unique Images:\t{unique_images(tags.values())}\n")
    out.write(f"Tags:\t{len(status_tags) + len(spec_only)}\n\n")
    aliases = alias_targets(stream)
    folded = {alias for names in aliases.values() for alias in names}
    sections = [name for name in prioritize_tags(status_tags + spec_only) if name not in folded]
    for index, name in enumerate(sections):
        if index:
            out.write("\n")
        _write_tag(out, stream, tags[name], aliases.get(name, []), now)


def _has_status(tag: Tag) -> bool:
    return bool(tag.get("items") or tag.get("conditions"))


def unique_images(tags) -> int:
    """Distinct image IDs in all histories. Entries without an image (a
    `--reference` tag) all count as one, exactly as `oc` counts them."""
    return len(
        {
            item.get("image") or ""
            for tag in tags
            for item in tag.get("items") or []
            if item.get("image") or item.get("reference")
        }
    )


def alias_targets(stream: dict[str, Any]) -> dict[str, list[str]]:
    """Target tag -> the tags of this stream that follow it (oc's FollowTagReference)."""
    specs = {tag["name"]: tag["spec"] for tag in stream.get("tags") or [] if tag.get("spec")}
    targets: dict[str, list[str]] = {}
    for name in specs:
        target = _follow(specs, name, stream)
        if target is not None and target != name:
            targets.setdefault(target, []).append(name)
    return targets


def _follow(specs: dict[str, dict], name: str, stream: dict[str, Any]) -> str | None:
    """The tag at the end of a chain of same-stream tag references; None for a
    broken chain (circular, missing, or leaving the stream)."""
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        spec = specs.get(name)
        if spec is None:
            return None
        source = spec.get("from") or {}
        if source.get("kind") != "ImageStreamTag":
            return name
        namespace = source.get("namespace") or ""
        if namespace and namespace != stream.get("project"):
            return None
        stream_name, colon, tag = (source.get("name") or "").partition(":")
        if colon and stream_name != stream.get("name"):
            return None
        name = tag if colon else stream_name
    return None


def _write_tag(
    out: DescribeWriter, stream: dict[str, Any], tag: Tag, aliases: list[str], now: datetime
) -> None:
    name = tag["name"]
    out.write(f"{name} ({', '.join(prioritize_tags(aliases))})\n" if aliases else f"{name}\n")
    spec = tag.get("spec")
    out.write(source_line(spec, stream.get("project") or "") + "\n")
    if spec and spec.get("insecure") and (spec.get("from") or {}).get("kind"):
        out.write("    will use insecure HTTPS or HTTP connections\n")
    if spec and spec.get("reference_policy") == "Local":
        out.write("    prefer registry pullthrough when referencing this tag\n")
    out.write("\n")
    if _write_catalog_annotations(out, (spec or {}).get("annotations") or {}):
        out.write("\n")
    if tag.get("import_pending"):
        out.write("  ~ importing latest image ...\n")
    for condition in tag.get("conditions") or []:
        if condition.get("type") == "ImportSuccess" and condition.get("status") == "False":
            when = parse_time(condition.get("last_transition_time"))
            out.write(
                f"  ! error: Import failed ({condition.get('reason', '')}): "
                f"{condition.get('message', '')}\n      {ago(when, now) if when else ''}\n"
            )
    for index, item in enumerate(tag.get("items") or []):
        out.write(f"{'  * ' if index == 0 else '    '}{item.get('reference', '')}\n")
        age = ago(parse_time(item.get("created")), now)
        image = item.get("image") or ""
        # The image ID is shown only when the pull spec does not already say it.
        if image and _digest_of(item.get("reference") or "") != image:
            out.write(f"      {age}\t{image}\n")
        else:
            out.write(f"      {age}\n")


def source_line(spec: dict[str, Any] | None, project: str) -> str:
    if spec is None:
        return "  no spec tag"
    source = spec.get("from") or {}
    kind = source.get("kind") or ""
    if not kind:
        return "  tag without source image"
    name = source.get("name") or ""
    namespace = source.get("namespace") or ""
    if namespace and namespace != project:
        name = f"{namespace}/{name}"
    if kind not in _SOURCE_LINES:
        template = (
            "  reference to {kind} {name}"
            if spec.get("reference")
            else "  updates from {kind} {name}"
        )
        return template.format(kind=kind, name=name)
    as_reference, as_scheduled = _SOURCE_LINES[kind]
    if spec.get("reference"):
        return as_reference.format(name=name)
    if as_scheduled and spec.get("scheduled"):
        return as_scheduled.format(name=name)
    return f"  tagged from {name}"


def _write_catalog_annotations(out: DescribeWriter, annotations: dict[str, str]) -> bool:
    lines = []
    if annotations.get("description"):
        lines.append(f"  {annotations['description']}")
    if annotations.get("tags"):
        lines.append(f"  Tags: {', '.join(annotations['tags'].split(','))}")
    if annotations.get("supports"):
        lines.append(f"  Supports: {', '.join(annotations['supports'].split(','))}")
    if annotations.get("sampleRepo"):
        lines.append(f"  Example Repo: {annotations['sampleRepo']}")
    for line in lines:
        out.write(line + "\n")
    return bool(lines)


def _digest_of(reference: str) -> str:
    return reference.partition("@")[2]
