"""Checking one claimed batch of scheduled tags against their registry.

1. Load the claimed tags with their current image (one query).
2. Send the HEAD of every tag expected unchanged on the process's event loop
   (registry/quick.py: one request each on kept connections, about 0.1 ms of
   CPU); the tags it cannot settle, and those that need more than a HEAD,
   are checked in threads, at most the registry's concurrency at once, each
   thread with its own RegistryClient on the process's connection pools,
   endpoints and tokens (connections.py), kept from batch to batch. Every
   request is paced by the registry's limits. An unchanged tag costs one
   manifest HEAD, and nothing else: no connection, no ping, no token per batch.
3. Write the outcome: all unchanged tags in one UPDATE; changed and failed
   tags one by one through the normal import record path, under the stream's
   lock, so history, aliases and triggers behave as for a manual import.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, OuterRef, Subquery, Value, When
from django.utils import timezone

from imagestreams.access import Principal
from imagestreams.image_config import image_config
from imagestreams.models import ImageStream, Tag, TagEvent
from imagestreams.models.streams import EventCause, ImportStatus
from imagestreams.operations import telemetry
from imagestreams.operations.registries import RegistryBlocklist, transport_for
from imagestreams.registry.client import RegistryClient
from imagestreams.registry.errors import InvalidReference, RateLimited, RegistryError
from imagestreams.registry.fetch import FetchResult
from imagestreams.registry.netguard import Guard
from imagestreams.registry.pool import SharedConnections
from imagestreams.registry.quick import Observer, PreparedHead, QuickHeads
from imagestreams.registry.reference import ImageReference, parse_reference
from imagestreams.scheduling.backoff import failure_delay
from imagestreams.scheduling.claims import SCHEDULED_IMPORTABLE, is_pinned
from imagestreams.scheduling.config import ScheduleConfig, schedule_config
from imagestreams.scheduling.connections import process_connections
from imagestreams.scheduling.limits import (
    AsyncPacing,
    PacedTransport,
    RegistryLimits,
    process_limits,
)
from imagestreams.scheduling.policies import TagPolicy, choose_tag
from imagestreams.scheduling.tag_policy_json import active_policy, repository_of
from imagestreams.services.credentials import credentials_lookup
from imagestreams.services.imports import fetch_for_tag, import_guard, record_import
from imagestreams.services.streams import stream_bump_generation, stream_lock

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _Head(TypedDict):
        head_digest: str | None
        head_generation: int | None

    TagWithHead = WithAnnotations[Tag, _Head]

logger = logging.getLogger(__name__)

# A 429 without Retry-After still pauses the registry for this long.
DEFAULT_RATE_LIMIT_PAUSE = 60.0
POOL_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=30.0)

TransportFactory = Callable[[bool], httpx.BaseTransport]
USER_AGENT = "imagestreams/0.1"


def default_transport(verify_tls: bool, guard: Guard | None = None) -> httpx.BaseTransport:
    """Pooled connections that pass the import guard (netguard)."""
    return (guard or import_guard()).transport(verify=verify_tls, limits=POOL_LIMITS)


@dataclass
class CheckItem:
    tag: Tag
    reference: ImageReference | None
    error: RegistryError | None  # the source does not even parse
    policy: TagPolicy | None
    known_digest: str | None
    insecure: bool

    @property
    def api_host(self) -> str:
        return self.reference.api_host if self.reference else ""


@dataclass
class CheckOutcome:
    item: CheckItem
    result: FetchResult | RegistryError | None  # None: not tried, the registry is paused
    reference: ImageReference | None = None
    chosen_tag: str = ""
    seconds: float = 0.0  # how long the check took (metrics)

    @property
    def reference_tag(self) -> str | None:
        return self.item.reference.tag if self.item.reference else None

    @property
    def deferred(self) -> bool:
        return self.result is None

    @property
    def unchanged(self) -> bool:
        """Nothing to write but "checked": same digest, same policy choice, no
        condition to clear."""
        if not isinstance(self.result, FetchResult) or not self.result.unchanged:
            return False
        moved = self.chosen_tag and self.chosen_tag != self.reference_tag
        return not moved and not self.item.tag.has_condition


@dataclass
class BatchReport:
    unchanged: int = 0
    changed: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    statuses: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "unchanged": self.unchanged,
            "changed": self.changed,
            "failed": self.failed,
            "deferred": self.deferred,
            "skipped": self.skipped,
        }


def check_batch(
    token: str,
    tag_ids: list[int],
    *,
    by: Principal,
    transport_factory: TransportFactory | None = None,
    head_observer: Observer | None = None,
) -> BatchReport:
    """Check the tags of ``tag_ids`` that ``token`` still holds; safe to run
    twice (a finished check releases its claim, so the second run skips it).
    Tests pass their own ``transport_factory`` (synchronous requests) and
    ``head_observer`` (the event loop's HEADs) to see every request."""
    config = schedule_config()
    items = load_claimed(token, tag_ids)
    if not items:
        return BatchReport(skipped=len(tag_ids))
    limits = process_limits(config.requests_per_second, config.max_concurrency)
    shared = _connections(limits, transport_factory, head_observer)
    image = image_config()
    _refuse_blocked(items, image.blocklist())
    outcomes = run_checks(items, config, limits, shared, image.insecure_registries)
    report = apply_outcomes(token, outcomes, config, limits, by=by)
    report.skipped += len(tag_ids) - len(items)
    logger.info("scheduled checks of %s: %s", items[0].api_host, report.as_dict())
    registry = items[0].tag.source_registry or items[0].api_host
    telemetry.checks_finished(registry, outcomes, report.statuses, report)
    return report


def _connections(
    limits: RegistryLimits,
    transport_factory: TransportFactory | None,
    head_observer: Observer | None,
) -> SharedConnections:
    """The process's pooled connections, endpoints and tokens, every request
    paced by ``limits``; kept while the guard, limits and settings stay."""
    # One guard for the whole batch, built in the calling thread.
    guard = import_guard()
    inner = transport_factory or functools.partial(default_transport, guard=guard)
    timeout = settings.REGISTRY_TIMEOUT
    quick = settings.SCHEDULED_ASYNC_HEADS

    def paced(verify: bool) -> httpx.BaseTransport:
        return PacedTransport(inner(verify), limits)

    def build() -> SharedConnections:
        heads = None
        if quick:
            heads = QuickHeads(
                guard, timeout=timeout, user_agent=USER_AGENT, observer=head_observer
            )
        return SharedConnections(paced, timeout=timeout, user_agent=USER_AGENT, quick=heads)

    key = (guard, transport_factory, limits, timeout, quick, head_observer)
    return process_connections(key, build)


# --- 1. loading --------------------------------------------------------------


# What deciding and sending a plain unchanged check reads. Most checks need
# nothing else, and building whole Tag, stream and project rows was a fifth of
# a worker's CPU per check (bench: worker CPU per check); tags that take the
# ordinary path are read again in full first (_read_in_full).
CHECK_FIELDS = (
    "id",
    "name",
    "from_kind",
    "from_name",
    "reference",
    "insecure",
    "generation",
    "condition_reason",
    "condition_generation",
    "upstream_digest",
    "source_registry",
    "policy",
    "stream__name",
    "stream__annotations",  # the insecure-repository annotation
    "stream__project__name",
)


def load_claimed(token: str, tag_ids: list[int]) -> list[CheckItem]:
    newest = TagEvent.objects.filter(tag=OuterRef("pk")).order_by("-id")
    tags = (
        Tag.objects.filter(SCHEDULED_IMPORTABLE, pk__in=tag_ids, check_claim=token)
        .select_related("stream__project")
        .only(*CHECK_FIELDS)
        .annotate(
            head_digest=Subquery(newest.values("image__digest")[:1]),
            head_generation=Subquery(newest.values("generation")[:1]),
        )
        .order_by("pk")
    )
    return [_item(tag) for tag in tags]


def _read_in_full(items: list[CheckItem]) -> None:
    """Give the items their whole rows, read here in the calling thread (a
    deferred field read in a checking thread would open a connection there).
    A tag deleted since it was claimed is not fetched: writing its outcome
    finds it gone and skips it."""
    rows = Tag.objects.select_related("stream__project").in_bulk([i.tag.pk for i in items])
    for item in items:
        row = rows.get(item.tag.pk)
        if row is None:
            item.error = RegistryError("the tag was deleted while being checked")
        else:
            item.tag = row


def _item(tag: TagWithHead) -> CheckItem:
    insecure = tag.insecure or tag.stream.insecure
    try:
        reference = parse_reference(tag.from_name)
    except InvalidReference as exc:
        return CheckItem(tag, None, exc, None, None, insecure)
    return CheckItem(tag, reference, None, active_policy(tag), _known_digest(tag), insecure)


def _refuse_blocked(items: list[CheckItem], blocklist: RegistryBlocklist) -> None:
    """A registry blocked after a tag was written is not contacted any more."""
    for item in items:
        if item.reference is None or not blocklist:
            continue
        refusal = blocklist.refusal(item.reference, transport_for(item.insecure))
        if refusal:
            item.error = RegistryError(refusal, reason="Forbidden")


def _known_digest(tag: TagWithHead) -> str | None:
    """The upstream digest a HEAD may compare against, as tag_import decides:
    none while an import is pending, so that the pending import happens."""
    if tag.head_digest is None:
        return None
    condition = tag.condition_generation if tag.has_condition else 0
    if tag.generation > max(tag.head_generation or 0, condition):
        return None
    return tag.upstream_digest or None


# --- 2. checking -------------------------------------------------------------


class ClientPool:
    """One RegistryClient per (thread, project): clients are not thread-safe,
    and credentials belong to a project. They are cheap: the connections,
    endpoints and tokens under them belong to the process."""

    def __init__(
        self,
        items: list[CheckItem],
        shared: SharedConnections,
        insecure_registries: tuple[str, ...],
    ) -> None:
        # Credentials are read here, in the calling thread: worker threads
        # must not open database connections of their own.
        projects = {item.tag.stream.project_id: item.tag.stream.project for item in items}
        self._credentials = {pk: credentials_lookup(project) for pk, project in projects.items()}
        self._insecure_registries = list(insecure_registries)
        self._shared = shared
        self._clients: dict[tuple[int, int], RegistryClient] = {}
        self._lock = threading.Lock()

    def client_for(self, item: CheckItem) -> RegistryClient:
        project = item.tag.stream.project_id
        key = (threading.get_ident(), project)
        client = self._clients.get(key)
        if client is None:
            client = RegistryClient(
                credentials=self._credentials[project],
                insecure_registries=self._insecure_registries,
                shared=self._shared,
            )
            with self._lock:
                self._clients[key] = client
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def run_checks(
    items: list[CheckItem],
    config: ScheduleConfig,
    limits: RegistryLimits,
    shared: SharedConnections,
    insecure_registries: tuple[str, ...] = (),
) -> list[CheckOutcome]:
    pool = ClientPool(items, shared, insecure_registries)
    try:
        found = _quick_unchanged(items, pool, limits, shared)
        rest = [item for item in items if id(item) not in found]
        if rest:
            _read_in_full(rest)
            with ThreadPoolExecutor(max_workers=min(config.max_concurrency, len(rest))) as threads:
                checked = threads.map(lambda item: _check(item, pool, limits, config), rest)
                found.update((id(outcome.item), outcome) for outcome in checked)
        return [found[id(item)] for item in items]
    finally:
        pool.close()


def _quick_unchanged(
    items: list[CheckItem], pool: ClientPool, limits: RegistryLimits, shared: SharedConnections
) -> dict[int, CheckOutcome]:
    """The tags whose HEAD on the event loop (registry/quick.py) says "same
    digest", by id of their item. Only plain unchanged checks qualify; the
    others, and any answer but that digest, take the ordinary path."""
    if shared.quick is None:
        return {}
    candidates = [item for item in items if _quick_candidate(item, limits)]
    heads = [_prepared_head(item, pool) for item in candidates]
    try:
        answers = shared.quick.digests(heads, AsyncPacing(limits))
    except Exception:  # the ordinary path still checks every tag
        logger.exception("HEADs on the event loop failed; checking in threads")
        return {}
    found = {}
    for item, (digest, seconds) in zip(candidates, answers, strict=True):
        if digest is not None and digest == item.known_digest:
            result = FetchResult(upstream_digest=digest, image=None)
            found[id(item)] = CheckOutcome(item, result, item.reference, seconds=seconds)
    return found


def _prepared_head(item: CheckItem, pool: ClientPool) -> PreparedHead | None:
    assert item.reference is not None  # a quick candidate
    return pool.client_for(item).prepared_head(item.reference, insecure=item.insecure)


def _quick_candidate(item: CheckItem, limits: RegistryLimits) -> bool:
    return (
        item.error is None
        and item.reference is not None
        and item.policy is None
        and item.known_digest is not None
        and not item.tag.has_condition
        and limits.gate(item.api_host).paused_for() == 0
    )


def _check(
    item: CheckItem, pool: ClientPool, limits: RegistryLimits, config: ScheduleConfig
) -> CheckOutcome:
    if item.error is not None:
        return CheckOutcome(item, item.error)
    gate = limits.gate(item.api_host)
    if gate.paused_for() > 0:
        return CheckOutcome(item, None)
    started = time.monotonic()
    try:
        outcome = _fetch(item, pool.client_for(item), config)
    except Exception as exc:  # one broken tag must not lose the batch
        logger.exception("scheduled check of tag %s failed unexpectedly", item.tag.pk)
        outcome = CheckOutcome(item, RegistryError(f"internal error while checking: {exc}"))
    outcome.seconds = time.monotonic() - started
    if isinstance(outcome.result, RateLimited):
        gate.pause(outcome.result.retry_after or DEFAULT_RATE_LIMIT_PAUSE)
    return outcome


def _fetch(item: CheckItem, client: RegistryClient, config: ScheduleConfig) -> CheckOutcome:
    assert item.reference is not None  # items whose source does not parse are not fetched
    reference, known, chosen = item.reference, item.known_digest, ""
    if item.policy is not None:
        repository = repository_of(item.reference)
        try:
            tags = client.list_tags(
                repository, insecure=item.insecure, limit=config.policy_max_tags
            )
        except RegistryError as exc:
            return CheckOutcome(item, exc)
        chosen = choose_tag(item.policy, tags) or ""
        if not chosen:
            message = (
                f'no tag of repository "{repository}" matches the policy '
                f"({item.policy.describe()}) among {len(tags)} tag(s)"
            )
            return CheckOutcome(item, RegistryError(message, reason="NotFound"))
        if chosen != item.reference.tag:
            reference, known = repository.with_tag(chosen), None
    result = fetch_for_tag(
        client, item.tag, reference, insecure=item.insecure, known_upstream_digest=known
    )
    return CheckOutcome(item, result, reference, chosen)


# --- 3. writing --------------------------------------------------------------


def apply_outcomes(
    token: str,
    outcomes: list[CheckOutcome],
    config: ScheduleConfig,
    limits: RegistryLimits,
    *,
    by: Principal,
) -> BatchReport:
    now = timezone.now()
    report = BatchReport()
    unchanged = [o.item.tag.pk for o in outcomes if o.unchanged]
    if unchanged:
        _mark_checked(token, unchanged, now)
        report.unchanged = len(unchanged)
    deferred = [o for o in outcomes if o.deferred]
    if deferred:
        pause = max(limits.gate(o.item.api_host).paused_for() for o in deferred)
        Tag.objects.filter(pk__in=[o.item.tag.pk for o in deferred], check_claim=token).update(
            check_claim="", next_check_at=now + timedelta(seconds=pause)
        )
        report.deferred = len(deferred)
    for outcome in outcomes:
        if outcome.unchanged or outcome.deferred:
            continue
        status = _apply_one(token, outcome, config, by)
        report.statuses[outcome.item.tag.pk] = status
        if status == ImportStatus.FAILURE:
            report.failed += 1
        elif status in (ImportStatus.SUCCESS, ImportStatus.UNCHANGED):
            report.changed += status == ImportStatus.SUCCESS
            report.unchanged += status == ImportStatus.UNCHANGED
        else:
            report.skipped += 1
    return report


def _mark_checked(token: str, tag_ids: list[int], now: datetime) -> None:
    """The whole write of an unchanged check: one UPDATE for the batch. A
    source by digest has now been seen, so its schedule ends."""
    Tag.objects.filter(pk__in=tag_ids, check_claim=token).update(
        last_checked_at=now,
        check_failures=0,
        check_claim="",
        next_check_at=Case(
            When(from_name__contains="@", then=Value(None, output_field=DateTimeField())),
            default=F("next_check_at"),
        ),
    )


def _apply_one(token: str, outcome: CheckOutcome, config: ScheduleConfig, by: Principal) -> str:
    fetched_from = outcome.item.tag
    with transaction.atomic():
        try:
            stream = stream_lock(fetched_from.stream_id)
        except ImageStream.DoesNotExist:
            return "Skipped"
        tag = (
            Tag.objects.select_related("stream__project")
            .filter(pk=fetched_from.pk, check_claim=token)
            .first()
        )
        if tag is None:
            return "Skipped"  # deleted, or claimed again after our claim expired
        if not _same_spec(tag, fetched_from):
            # Changed while we were fetching: the new spec is enrolled afresh.
            Tag.objects.filter(pk=tag.pk).update(check_claim="")
            return "Skipped"
        if isinstance(outcome.result, RegistryError):
            return _record_failure(stream, tag, outcome, config, by)
        return _record_success(stream, tag, outcome, by)


def _same_spec(current: Tag, fetched_from: Tag) -> bool:
    return (
        current.from_name == fetched_from.from_name
        and current.policy == fetched_from.policy
        and current.scheduled
        and current.is_importable
    )


def _record_failure(
    stream: ImageStream, tag: Tag, outcome: CheckOutcome, config, by: Principal
) -> str:
    error = outcome.result
    assert isinstance(error, RegistryError)  # only failures are recorded here
    status = record_import(
        stream,
        tag,
        outcome.reference or outcome.item.reference,
        error,
        cause=EventCause.SCHEDULED,
        by=by,
    )
    failures = tag.check_failures + 1
    delay = failure_delay(
        failures,
        interval=config.interval,
        maximum=config.backoff_max,
        retry_after=getattr(error, "retry_after", None),
    )
    Tag.objects.filter(pk=tag.pk).update(
        check_failures=failures,
        check_claim="",
        next_check_at=timezone.now() + timedelta(seconds=delay),
    )
    return status.status


def _record_success(stream: ImageStream, tag: Tag, outcome: CheckOutcome, by: Principal) -> str:
    if outcome.chosen_tag and outcome.reference != outcome.item.reference:
        _follow_policy_choice(stream, tag, outcome)
    assert isinstance(outcome.result, FetchResult)  # deferred outcomes are not applied
    assert outcome.reference is not None  # set by every fetch
    status = record_import(
        stream,
        tag,
        outcome.reference,
        outcome.result,
        cause=EventCause.SCHEDULED,
        by=by,
        # Which upstream tag the policy chose is kept in the history entry.
        chosen_by_policy=outcome.chosen_tag or "",
    )
    updates: dict = {"check_failures": 0, "check_claim": "", "last_checked_at": timezone.now()}
    if is_pinned(tag.from_name):
        updates["next_check_at"] = None
    if status.status == ImportStatus.UNCHANGED and tag.has_condition:
        # A good check after a failure clears the failure, as an import would.
        updates.update(
            condition_reason="", condition_message="", condition_generation=0, condition_time=None
        )
    if outcome.chosen_tag:
        updates["policy_tag"] = outcome.chosen_tag
    Tag.objects.filter(pk=tag.pk).update(**updates)
    return status.status


def _follow_policy_choice(stream: ImageStream, tag: Tag, outcome: CheckOutcome) -> None:
    """The policy now picks another upstream tag: a spec change (new
    generation), written before the import so the import is not "unchanged"."""
    source = str(outcome.reference)
    tag.generation = stream_bump_generation(stream)
    tag.from_name = source
    Tag.objects.filter(pk=tag.pk).update(
        from_name=source,
        scheduled_source=source,
        policy_tag=outcome.chosen_tag,
        generation=tag.generation,
    )
