"""Signals the core sends to the apps that consume it. The core never imports
its consumers: they connect here (in their AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `change` (a TagChange) inside the transaction that moved the tag,
# right after the change was written. Receivers that act on it outside the
# transaction queue their work on commit; the change stays in the feed with
# `fanned_out_at` empty until a consumer marks it, so a lost notification is
# found by the consumer's sweep.
tag_changed = Signal()

# Sent with `changes` (a list of TagChange) instead of one `tag_changed` per
# change when a service records many changes in one statement (an import of a
# whole repository): the same promise for each change, one notification.
tag_changes_recorded = Signal()
