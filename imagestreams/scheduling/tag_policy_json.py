"""Reading a tag's stored policy (JSON on the tag) back into a TagPolicy."""

from __future__ import annotations

from imagestreams.models import Tag
from imagestreams.registry.errors import InvalidReference
from imagestreams.registry.reference import ImageReference, parse_reference
from imagestreams.scheduling.policies import PolicyError, TagPolicy, parse_policy


def policy_to_store(policy: TagPolicy, repository: ImageReference) -> dict[str, str]:
    # The repository is kept with the rule: a policy only ever applies to the
    # repository it was set for, even if another path rewrites the source.
    return {**policy.to_dict(), "repository": repository.typed_repository}


def active_policy(tag: Tag) -> TagPolicy | None:
    """The tag's policy, if it has one and it still matches the tag's source."""
    stored = dict(tag.policy or {})
    repository = stored.pop("repository", None)
    if not stored or not repository:
        return None
    try:
        source = parse_reference(tag.from_name)
    except InvalidReference:
        return None
    if source.typed_repository != repository or source.digest:
        return None
    try:
        return parse_policy(stored)
    except PolicyError:
        return None


def repository_of(reference: ImageReference) -> ImageReference:
    return ImageReference(registry=reference.registry, path=reference.path)
