"""Tables of a project's members, service accounts and their tokens, shares
and audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from imagestreams.cli.format.humanize import ago, parse_time
from imagestreams.cli.format.tabwriter import table_layout
from imagestreams.cli.format.writer import NONE

CHANGE_WIDTH = 60


def members_table(members: list[dict[str, Any]], now: datetime) -> str:
    rows = [["USERNAME", "ROLE", "MEMBER SINCE"]]
    rows += [[m["username"], m["role"], _ago(m.get("created"), now)] for m in members]
    return table_layout(rows)


def accounts_table(accounts: list[dict[str, Any]], now: datetime) -> str:
    rows = [["NAME", "ROLE", "USERNAME", "CREATED", "DESCRIPTION"]]
    for account in accounts:
        rows.append(
            [
                account["name"],
                account["role"],
                account.get("username", ""),
                _ago(account.get("created"), now),
                account.get("description") or NONE,
            ]
        )
    return table_layout(rows)


def tokens_table(tokens: list[dict[str, Any]], now: datetime) -> str:
    rows = [["ID", "NAME", "PREFIX", "CREATED", "LAST USED", "EXPIRES"]]
    for token in tokens:
        expires = parse_time(token.get("expires_at"))
        rows.append(
            [
                str(token["id"]),
                token["name"],
                token.get("prefix", ""),
                _ago(token.get("created"), now),
                _ago(token.get("last_used_at"), now) or "never",
                expires.strftime("%Y-%m-%d %H:%M UTC") if expires else "never",
            ]
        )
    return table_layout(rows)


def shares_table(shares: list[dict[str, Any]], now: datetime) -> str:
    rows = [["ID", "STREAM", "SHARED WITH", "BY", "CREATED"]]
    for share in shares:
        rows.append(
            [
                str(share["id"]),
                share.get("stream") or "* (every stream)",
                share_target(share),
                share.get("created_by") or NONE,
                _ago(share.get("created"), now),
            ]
        )
    return table_layout(rows)


def share_target(share: dict[str, Any]) -> str:
    if share.get("target_project"):
        return f"project/{share['target_project']}"
    return f"user/{share.get('target_user')}"


def audit_table(events: list[dict[str, Any]], now: datetime, *, wide: bool) -> str:
    header = ["WHEN", "ACTOR", "VIA", "ACTION", "TARGET"] + (["CHANGE"] if wide else [])
    rows = [header]
    for event in events:
        when = parse_time(event.get("created"))
        row = [
            when.strftime("%Y-%m-%dT%H:%M:%SZ") if wide and when else ago(when, now),
            event.get("actor") or NONE,
            event.get("interface") or NONE,
            event.get("action", ""),
            event.get("target") or NONE,
        ]
        rows.append(row + ([change(event)] if wide else []))
    return table_layout(rows)


def change(event: dict[str, Any]) -> str:
    """What changed, as `field: before -> after` for the fields that differ."""
    before, after = event.get("before") or {}, event.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return _cut(f"{_value(before)} -> {_value(after)}")
    parts = [
        f"{key}: {_value(before.get(key))} -> {_value(after.get(key))}"
        if key in before and key in after
        else f"{key}={_value(after[key])}"
        if key in after
        else f"-{key}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
    return _cut("; ".join(parts)) or NONE


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _cut(text: str) -> str:
    return text if len(text) <= CHANGE_WIDTH else text[: CHANGE_WIDTH - 3] + "..."


def _ago(text: str | None, now: datetime) -> str:
    return ago(parse_time(text), now)
