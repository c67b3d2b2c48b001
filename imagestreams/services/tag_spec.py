"""Changing how an existing tag updates (scheduled, reference policy) without
changing where it comes from: the same `oc tag` again with other flags; and
following the upstream again after a pin (a rollback, an exact image)."""

from __future__ import annotations

from django.db import transaction

from imagestreams.access import Principal
from imagestreams.models import Project, Tag
from imagestreams.models.streams import SourceKind
from imagestreams.services.errors import InvalidInput
from imagestreams.services.tagging import TagOptions, TagSetResult, tag_set

# Keyed by plain strings too: SourceKind members are str.
SOURCE_KINDS: dict[str, str] = {
    SourceKind.DOCKER_IMAGE: "docker",
    SourceKind.IMAGE_STREAM_TAG: "istag",
    SourceKind.IMAGE_STREAM_IMAGE: "isimage",
}


def tag_spec_update(
    *,
    by: Principal,
    project: Project,
    tag: Tag,
    scheduled: bool | None = None,
    reference_policy: str | None = None,
) -> TagSetResult:
    """Re-tag `tag` from its own source with new flags (None keeps a flag).

    Like `oc tag --scheduled`, this is a spec change: an external source is
    imported again; tag_set checks access and validates the combination.
    """
    if not tag.has_spec or tag.from_kind not in SOURCE_KINDS:
        raise InvalidInput(
            f'tag "{tag.name}" has no source to update from; tag it from an image first',
            field="tag",
        )
    stream = tag.stream
    options = TagOptions(
        alias=tag.from_kind == SourceKind.IMAGE_STREAM_TAG,
        reference=tag.reference,
        scheduled=tag.scheduled if scheduled is None else scheduled,
        insecure=tag.insecure,
        reference_policy=reference_policy or tag.reference_policy,
        import_mode=tag.import_mode,
    )
    with transaction.atomic():
        [result] = tag_set(
            project=project,
            source=_source_text(tag.from_kind, tag.from_name, tag.from_namespace, tag, project),
            source_kind=SOURCE_KINDS[tag.from_kind],
            destinations=[f"{stream.name}:{tag.name}"],
            options=options,
            by=by,
        )
        if tag.policy and options.scheduled:
            # Changing flags is not a new source: a tag policy (which needs
            # scheduled checks) keeps applying.
            Tag.objects.filter(pk=result.tag.pk).update(
                policy=tag.policy, policy_tag=tag.policy_tag
            )
            result.tag.policy, result.tag.policy_tag = tag.policy, tag.policy_tag
    return result


def tag_follow_upstream(*, by: Principal, project: Project, tag: Tag) -> TagSetResult:
    """Tag `tag` again from what it followed before a rollback or an exact image
    pinned it, with the flags it had then: an external source is imported now
    (`isctl unpin`, the web's "Follow upstream again")."""
    pinned = tag.pinned_from
    if not pinned:
        raise InvalidInput(
            f'tag "{tag.name}" is not pinned: it has no earlier upstream to follow again',
            field="tag",
        )
    kind = pinned["kind"]
    options = TagOptions(
        alias=kind == SourceKind.IMAGE_STREAM_TAG,
        scheduled=pinned.get("scheduled", False),
        insecure=pinned.get("insecure", False),
        reference_policy=pinned.get("reference_policy", ""),
        import_mode=pinned.get("import_mode", ""),
    )
    source = _source_text(kind, pinned["name"], pinned.get("namespace", ""), tag, project)
    with transaction.atomic():
        [result] = tag_set(
            project=project,
            source=source,
            source_kind=SOURCE_KINDS[kind],
            destinations=[f"{tag.stream.name}:{tag.name}"],
            options=options,
            by=by,
        )
        if pinned.get("policy") and options.scheduled:
            Tag.objects.filter(pk=result.tag.pk).update(
                policy=pinned["policy"], policy_tag=pinned.get("policy_tag", "")
            )
    action = "an import was requested" if kind == SourceKind.DOCKER_IMAGE else "it is current"
    result.message = f"Tag {tag.stream.name}:{tag.name} follows {pinned['name']} again; {action}."
    return result


def _source_text(kind: str, name: str, namespace: str, tag: Tag, project: Project) -> str:
    if kind == SourceKind.DOCKER_IMAGE:
        return name
    if kind == SourceKind.IMAGE_STREAM_TAG and ":" not in name:
        name = f"{tag.stream.name}:{name}"  # a bare `<tag>` names a tag of the same stream
    return f"{namespace or project.name}/{name}"
