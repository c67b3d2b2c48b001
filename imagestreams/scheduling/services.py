"""Entry points of scheduled imports for interfaces (API, CLI, UI, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imagestreams.access import Principal
from imagestreams.enqueue import enqueue_on_commit
from imagestreams.models import Tag
from imagestreams.registry.errors import InvalidReference, RegistryError
from imagestreams.registry.reference import DEFAULT_TAG, parse_reference
from imagestreams.scheduling.config import schedule_config
from imagestreams.scheduling.policies import PolicyError, choose_tag, parse_policy
from imagestreams.scheduling.tag_policy_json import active_policy, policy_to_store, repository_of
from imagestreams.services.errors import Conflict, InvalidInput
from imagestreams.services.import_requests import import_requested
from imagestreams.services.imports import registry_client
from imagestreams.services.streams import stream_bump_generation, stream_lock


@dataclass(frozen=True)
class PolicyResult:
    tag: Tag
    chosen_tag: str
    message: str


def tag_set_policy(*, by: Principal, tag: Tag, policy: dict | None, client=None) -> PolicyResult:
    """Make an external tag follow the highest upstream tag matching `policy`
    (see scheduling.policies), re-evaluated on every scheduled check; the tag
    becomes scheduled. An empty policy removes it: the tag keeps following the
    upstream tag it points at now.

    The repository's tags are read now, so a policy that matches nothing is
    refused before anything is written. The interface checks the edit right.
    """
    if not policy:
        return _remove_policy(tag)
    try:
        parsed = parse_policy(policy)
    except PolicyError as exc:
        raise InvalidInput(str(exc), field="policy") from None
    if not tag.is_importable:
        raise InvalidInput(
            f'tag "{tag}" does not import an external image; only such tags can follow a policy',
            field="policy",
        )
    source = _source(tag)
    repository = repository_of(source)
    chosen = _evaluate(tag, parsed, repository, client)
    with transaction.atomic():
        stream = stream_lock(tag.stream_id)
        current = Tag.objects.select_related("stream__project").get(pk=tag.pk)
        if current.from_name != tag.from_name:
            raise Conflict(f'tag "{tag}" was changed meanwhile; read it again and retry')
        new_source = str(repository.with_tag(chosen))
        moved = new_source != current.from_name
        current.policy = policy_to_store(parsed, repository)
        current.policy_tag = chosen
        # A moved source is enrolled afresh by the next sweep (scheduled_source differs).
        current.scheduled = True
        if moved:
            current.from_name, current.upstream_digest = new_source, ""
            current.generation = stream_bump_generation(stream)
        current.save(update_fields=Tag.SPEC_FIELDS)
        if moved:
            import_requested(current, by=by)
    message = f"Tag {current} follows {repository} by {parsed.describe()}; now at {chosen}."
    return PolicyResult(tag=current, chosen_tag=chosen, message=message)


def _source(tag: Tag):
    try:
        return parse_reference(tag.from_name)
    except InvalidReference as exc:
        raise InvalidInput(f"the tag's source cannot be read: {exc.message}") from None


def _evaluate(tag: Tag, policy, repository, client) -> str:
    insecure = tag.insecure or tag.stream.insecure
    own_client = client is None
    client = client or registry_client(tag.stream.project)
    try:
        tags = client.list_tags(
            repository, insecure=insecure, limit=schedule_config().policy_max_tags
        )
    except RegistryError as exc:
        raise InvalidInput(f"cannot list tags of {repository}: {exc.message}") from None
    finally:
        if own_client:
            client.close()
    chosen = choose_tag(policy, tags)
    if chosen is None:
        raise InvalidInput(
            f'no tag of repository "{repository}" matches the policy ({policy.describe()}) '
            f"among {len(tags)} tag(s)",
            field="policy",
        )
    return chosen


def _remove_policy(tag: Tag) -> PolicyResult:
    Tag.objects.filter(pk=tag.pk).update(policy={}, policy_tag="")
    tag.policy, tag.policy_tag = {}, ""
    return PolicyResult(tag=tag, chosen_tag="", message=f"Tag {tag} follows no policy.")


@dataclass(frozen=True)
class RepositoryChange:
    """An upstream repository changed (what an inbound registry webhook says);
    empty ``tags`` means "some tag, we do not know which"."""

    registry: str
    repository: str
    tags: tuple[str, ...] = ()


def repositories_changed(changes: list[RepositoryChange]) -> int:
    """Make the scheduled tags following these repositories due now and start
    a sweep, which checks them within the usual per-registry limits. With
    tags named, only tags following one of them (and tags with a policy,
    which a new tag may move) are checked. Tags the registry is rate limiting
    keep their back-off. Returns how many tags were made due."""
    ids: set[int] = set()
    for change in changes:
        ids.update(_tags_following(change))
    if not ids:
        return 0
    Tag.objects.filter(pk__in=ids).update(next_check_at=timezone.now())
    from imagestreams.tasks import scheduled_sweep

    enqueue_on_commit(scheduled_sweep)
    return len(ids)


def _tags_following(change: RepositoryChange) -> list[int]:
    try:
        reference = parse_reference(f"{change.registry}/{change.repository}")
    except InvalidReference as exc:
        raise InvalidInput(
            f"invalid repository {change.registry}/{change.repository}: {exc.message}"
        ) from None
    candidates = Tag.objects.filter(
        scheduled=True,
        source_registry=reference.registry_host,
        source_repository=reference.repository,
        # Claimed tags too: a check in flight may have read the digest from
        # before this push. Made due, the tag is claimed again by the next
        # sweep (the in-flight result is then dropped, its claim being stale).
    ).exclude(Q(condition_reason="TooManyRequests"))
    wanted = set(change.tags)
    return [
        tag.pk
        for tag in candidates.only("pk", "from_name", "policy")
        if not wanted or active_policy(tag) is not None or _source_tag(tag) in wanted
    ]


def _source_tag(tag: Tag) -> str:
    try:
        reference = parse_reference(tag.from_name)
    except InvalidReference:
        return ""
    if reference.digest:
        return ""
    return reference.tag or DEFAULT_TAG
