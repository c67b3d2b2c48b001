"""Operator policy read by services at the moment they act.

One place to ask, so that the source of these values (environment today,
operator settings editable at run time tomorrow) can change without touching
the callers.
"""

from __future__ import annotations

from django.conf import settings


def private_networks_allowed_for_imports() -> bool:
    """May imports reach loopback, private, link-local or metadata addresses?"""
    return getattr(settings, "IMPORT_ALLOW_PRIVATE_ADDRESSES", True)


def private_networks_allowed_for_webhooks() -> bool:
    """May trigger webhooks reach loopback, private or link-local addresses?"""
    return settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES
