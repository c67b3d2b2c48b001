"""What changed between two images of a tag's history: labels, environment,
command, exposed ports, platforms, layers and size. What the CLI cannot show."""

from __future__ import annotations

from dataclasses import dataclass, field

from imagestreams.models import Image, ImageManifest, Tag, TagEvent
from imagestreams.services.errors import InvalidInput, NotFound

PREFERRED_PLATFORM = "linux/amd64"


@dataclass(frozen=True)
class Change:
    key: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.old != self.new else "same"


@dataclass(frozen=True)
class KeyedDiff:
    """Changed entries of a mapping, and how many stayed the same."""

    changes: list[Change]
    unchanged: int


@dataclass
class Comparison:
    older: TagEvent
    newer: TagEvent
    older_image: Image  # the image compared: a platform's image for an index
    newer_image: Image
    compared_platform: str
    older_platforms: list[str]
    newer_platforms: list[str]
    labels: KeyedDiff
    env: KeyedDiff
    process: KeyedDiff  # entrypoint, command, working dir, user
    ports_added: list[str]
    ports_removed: list[str]
    ports_kept: list[str]
    layers_added: list[dict] = field(default_factory=list)
    layers_removed: list[dict] = field(default_factory=list)
    layers_shared: int = 0

    @property
    def same_image(self) -> bool:
        return self.older.image_id == self.newer.image_id

    @property
    def size_delta(self) -> int:
        return self.newer_image.size - self.older_image.size

    @property
    def size_delta_abs(self) -> int:
        return abs(self.size_delta)

    @property
    def platforms_changed(self) -> bool:
        return self.older_platforms != self.newer_platforms


def history_compare(*, tag: Tag, first: int, second: int) -> Comparison:
    """Compare two history entries of `tag` (event ids, in any order)."""
    if first == second:
        raise InvalidInput("choose two different history entries to compare", field="b")
    events = {
        event.pk: event
        for event in TagEvent.objects.filter(tag=tag, pk__in=[first, second]).select_related(
            "image"
        )
    }
    if len(events) != 2:
        raise NotFound(f'history entry not found in tag "{tag.name}"', field="a")
    older, newer = sorted(events.values(), key=lambda event: event.pk)
    if older.image is None or newer.image is None:
        raise InvalidInput("only history entries with an image digest can be compared", field="a")
    children = _children_by_parent([older.image, newer.image])
    old_children, new_children = children.get(older.image.pk), children.get(newer.image.pk)
    platform = _common_platform(old_children, new_children)
    old_image = _pick(older.image, old_children, platform)
    new_image = _pick(newer.image, new_children, platform)
    old_ports, new_ports = set(old_image.exposed_ports), set(new_image.exposed_ports)
    comparison = Comparison(
        older=older,
        newer=newer,
        older_image=old_image,
        newer_image=new_image,
        compared_platform=platform if older.image.is_index or newer.image.is_index else "",
        older_platforms=_platforms(older.image, children),
        newer_platforms=_platforms(newer.image, children),
        labels=diff_mapping(old_image.labels, new_image.labels),
        env=diff_mapping(_env_dict(old_image.env), _env_dict(new_image.env)),
        process=diff_mapping(_process(old_image), _process(new_image)),
        ports_added=sorted(new_ports - old_ports),
        ports_removed=sorted(old_ports - new_ports),
        ports_kept=sorted(old_ports & new_ports),
    )
    _diff_layers(comparison, old_image.layers, new_image.layers)
    return comparison


def diff_mapping(old: dict, new: dict) -> KeyedDiff:
    changes = []
    unchanged = 0
    for key in sorted(set(old) | set(new)):
        change = Change(key, _text(old.get(key)), _text(new.get(key)))
        if change.kind == "same":
            unchanged += 1
        else:
            changes.append(change)
    return KeyedDiff(changes=changes, unchanged=unchanged)


def _text(value) -> str | None:
    if value is None:
        return None
    return " ".join(value) if isinstance(value, list) else str(value)


def _env_dict(env: list[str]) -> dict[str, str]:
    pairs = (item.partition("=") for item in env)
    return {name: value for name, _, value in pairs}


def _process(image: Image) -> dict[str, str]:
    fields = {
        "Entrypoint": " ".join(image.entrypoint),
        "Command": " ".join(image.cmd),
        "Working dir": image.working_dir,
        "User": image.user,
    }
    return {key: value for key, value in fields.items() if value}


def _diff_layers(comparison: Comparison, old: list[dict], new: list[dict]) -> None:
    old_digests = {layer["digest"] for layer in old}
    new_digests = {layer["digest"] for layer in new}
    comparison.layers_added = [layer for layer in new if layer["digest"] not in old_digests]
    comparison.layers_removed = [layer for layer in old if layer["digest"] not in new_digests]
    comparison.layers_shared = len(old_digests & new_digests)


def _children_by_parent(images: list[Image]) -> dict[int, list[ImageManifest]]:
    indexes = [image.pk for image in images if image.is_index]
    found: dict[int, list[ImageManifest]] = {}
    if indexes:
        for entry in ImageManifest.objects.filter(parent_id__in=indexes).select_related("child"):
            found.setdefault(entry.parent_id, []).append(entry)
    return found


def _common_platform(old: list[ImageManifest] | None, new: list[ImageManifest] | None) -> str:
    """The platform whose images are compared when either side is an index."""
    old_platforms = [entry.platform for entry in old or []]
    new_platforms = [entry.platform for entry in new or []]
    if old_platforms and new_platforms:
        common = [platform for platform in old_platforms if platform in new_platforms]
        candidates = common or old_platforms
    else:
        candidates = old_platforms or new_platforms
    if PREFERRED_PLATFORM in candidates:
        return PREFERRED_PLATFORM
    return candidates[0] if candidates else ""


def _pick(image: Image, children: list[ImageManifest] | None, platform: str) -> Image:
    if not children:
        return image
    for entry in children:
        if entry.platform == platform:
            return entry.child
    return children[0].child


def _platforms(image: Image, children: dict[int, list[ImageManifest]]) -> list[str]:
    if image.pk in children:
        return [entry.platform for entry in children[image.pk]]
    return [image.platform] if image.platform else []
