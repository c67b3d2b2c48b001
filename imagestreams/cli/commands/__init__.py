"""One module per family of commands; each `register` adds its parsers."""

from __future__ import annotations

from imagestreams.cli.commands import (
    audit,
    describing,
    getting,
    history,
    importing,
    members,
    policy,
    serviceaccounts,
    session,
    shares,
    tagging,
    triggers,
)

REGISTRY = (
    session.register,
    importing.register,
    tagging.register,
    describing.register,
    getting.register,
    history.register,
    policy.register,
    triggers.register,
    members.register,
    serviceaccounts.register,
    shares.register,
    audit.register,
)
