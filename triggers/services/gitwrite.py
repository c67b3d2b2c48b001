"""Deliveries of Git write-back triggers: the trigger's settings and the
change handed to triggers.gitops.writeback, its outcome turned into an
attempt (see triggers/README.md, "Git write-back")."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

from imagestreams.models import TagChange
from triggers.gitops.git import Remote
from triggers.gitops.spec import GitOptions
from triggers.gitops.writeback import Limits, WriteChange, write_back
from triggers.models import AttemptOutcome, Delivery, Trigger
from triggers.payloads import ChangeFacts
from triggers.transport import SendResult


def git_send(
    trigger: Trigger,
    facts: ChangeFacts,
    *,
    token: str,
    delivery_id: str,
    dry_run: bool,
    superseded: Callable[[], str] = lambda: "",
) -> SendResult:
    """Write the change (or, for a dry run, only show its diff). Wrong
    credentials, a missing file or branch are failures not retried; network
    trouble is retried like a webhook's 5xx."""
    started = time.monotonic()
    if not facts.digest:
        return SendResult(
            AttemptOutcome.FAILURE, 0, error="the watched tag has no image yet: nothing to write"
        )
    options = GitOptions.from_options(trigger.options)
    outcome = write_back(
        _write_change(trigger, facts, delivery_id),
        remote=Remote(
            url=trigger.url,
            username=options.username,
            token=token,
            allow_private=settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES,
            ssh_key=trigger.get_ssh_key(),
            known_hosts=options.known_hosts,
        ),
        options=options,
        limits=Limits(
            deadline_seconds=settings.TRIGGER_GIT_TIMEOUT,
            max_file_bytes=settings.TRIGGER_GIT_MAX_FILE_BYTES,
            push_retries=settings.TRIGGER_GIT_PUSH_RETRIES,
        ),
        dry_run=dry_run,
        superseded=superseded,
    )
    duration = int((time.monotonic() - started) * 1000)
    if outcome.error:
        kind = AttemptOutcome.FAILURE if outcome.permanent else AttemptOutcome.RETRY
        return SendResult(kind, duration, error=outcome.error)
    return SendResult(
        AttemptOutcome.SUCCESS,
        duration,
        body=outcome.summary,
        commit=outcome.commit,
        diff=outcome.diff,
    )


SUPERSEDED = "the tag has changed again since; its newer change is written instead"


def superseded(delivery: Delivery) -> str:
    """Why this change must not be written any more, or empty: a newer
    change of the same tag exists (its own delivery writes the newer image),
    so writing this one now (a late retry, a re-send, a slow worker racing
    the newer one) would put the repository behind the tag. Asked before
    the work starts and again before every push."""
    change = delivery.change
    if change is None or change.tag_id is None:
        return ""
    newer = TagChange.objects.filter(tag_id=change.tag_id, serial__gt=change.serial).exists()
    return SUPERSEDED if newer else ""


def _write_change(trigger: Trigger, facts: ChangeFacts, delivery_id: str) -> WriteChange:
    return WriteChange(
        project=facts.project,
        stream=facts.stream,
        tag=facts.tag,
        digest=facts.digest,
        previous_digest=facts.previous_digest,
        pull_spec=facts.pull_spec,
        cause=facts.cause,
        actor=facts.actor,
        trigger=trigger.name,
        delivery_id=delivery_id,
    )
