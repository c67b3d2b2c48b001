"""`oc describe istag/…`, `isimage/…` and the images listed after an import
(oc's DescribeImage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imagestreams.cli.format.humanize import ago, human_size, parse_time
from imagestreams.cli.format.writer import DescribeWriter


def describe_image(
    image: dict[str, Any],
    image_name: str,
    now: datetime,
    *,
    annotations: dict[str, str] | None = None,
) -> str:
    """`image_name` heads the description (`python:3.5` after an import, the
    digest for istag/isimage); `annotations` are the spec tag's, which an
    image stream tag carries over to its image."""
    out = DescribeWriter()
    if image_name:
        out.field("Image Name", image_name)
    out.field("Docker Image", image.get("reference"))
    out.field("Name", image.get("digest"))
    imported = parse_time(image.get("imported"))
    if imported:
        out.time("Created", imported, now)
    if annotations:
        out.annotations(annotations)
    _write_size(out, image)
    created = parse_time(image.get("created"))
    # An index has no config and so no creation time of its own.
    out.field("Image Created", ago(created, now) if created else "")
    out.field("Author", image.get("author"))
    out.field("Arch", image.get("architecture"))
    manifests = image.get("manifests") or []
    if manifests:
        out.field("Manifests", "\n".join(_manifest_line(m) for m in manifests))
    _write_config(out, image)
    return out.text()


def _write_size(out: DescribeWriter, image: dict[str, Any]) -> None:
    layers = image.get("layers") or []
    size = human_size(image.get("size") or 0)
    if not layers:
        out.field("Layer Size", size)
        return
    out.field("Image Size", f"{size} in {len(layers)} layers")
    out.field(
        "Layers",
        "\n".join(
            f"{human_size(layer.get('size') or 0)}\t{layer.get('digest')}" for layer in layers
        ),
    )


def _manifest_line(manifest: dict[str, Any]) -> str:
    platform = manifest.get("platform") or {}
    parts = [platform.get("os"), platform.get("architecture"), platform.get("variant")]
    return f"{'/'.join(p for p in parts if p)}\t{manifest.get('digest')}"


def _write_config(out: DescribeWriter, image: dict[str, Any]) -> None:
    entrypoint = image.get("entrypoint") or []
    cmd = image.get("cmd") or []
    if entrypoint:
        out.field("Entrypoint", " ".join(entrypoint))
    if cmd:
        out.field("Command", " ".join(cmd))
    if not entrypoint and not cmd:
        out.field("Command", "")
    out.field("Working Dir", image.get("working_dir"))
    out.field("User", image.get("user"))
    out.field("Exposes Ports", ", ".join(sorted(image.get("exposed_ports") or [])))
    out.mapping("Docker Labels", image.get("labels"))
    for index, variable in enumerate(image.get("env") or []):
        if index == 0:
            out.field("Environment", variable)
        else:
            out.write(f"\t{variable}\n")
    for index, volume in enumerate(sorted(image.get("volumes") or [])):
        if index == 0:
            out.field("Volumes", volume)
        else:
            out.write(f"\t{volume}\n")
