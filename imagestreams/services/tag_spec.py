"""Changing how an existing tag updates (scheduled, reference policy) without
changing where it comes from: the same `oc tag` again with other flags."""

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
            source=_source_text(tag, project),
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


def _source_text(tag: Tag, project: Project) -> str:
    if tag.from_kind == SourceKind.DOCKER_IMAGE:
        return tag.from_name
    name = tag.from_name
    if tag.from_kind == SourceKind.IMAGE_STREAM_TAG and ":" not in name:
        name = f"{tag.stream.name}:{name}"  # a bare `<tag>` names a tag of the same stream
    return f"{tag.from_namespace or project.name}/{name}"
