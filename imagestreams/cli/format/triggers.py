"""Triggers and their deliveries as tables and as `describe` text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imagestreams.cli.format.humanize import ago, parse_time
from imagestreams.cli.format.tables import short_digest
from imagestreams.cli.format.tabwriter import table_layout
from imagestreams.cli.format.writer import NONE, DescribeWriter

ERROR_WIDTH = 60


def watches(trigger: dict[str, Any]) -> str:
    return f"{trigger.get('stream', '')}:{trigger.get('tag') or '*'}"


def state(trigger: dict[str, Any]) -> str:
    if trigger.get("enabled"):
        return "enabled"
    if trigger.get("disabled_reason"):
        return "disabled"
    return "paused"


def triggers_table(triggers: list[dict[str, Any]], now: datetime, *, wide: bool) -> str:
    header = ["NAME", "WATCHES", "KIND", "STATE", "LAST DELIVERY"] + (["URL"] if wide else [])
    rows = [header]
    for trigger in triggers:
        row = [
            trigger.get("name", ""),
            watches(trigger),
            trigger.get("preset", ""),
            state(trigger),
            _last_delivery(trigger, now),
        ]
        rows.append(row + ([trigger.get("url", "")] if wide else []))
    return table_layout(rows)


def deliveries_table(deliveries: list[dict[str, Any]], now: datetime) -> str:
    rows = [["ID", "KIND", "STATUS", "TAG", "IMAGE", "ATTEMPTS", "RESPONSE", "CREATED"]]
    for delivery in deliveries:
        change = delivery.get("change") or {}
        tag = f"{change['stream']}:{change['tag']}" if change else NONE
        rows.append(
            [
                delivery.get("id", ""),
                delivery.get("kind", ""),
                delivery.get("status", ""),
                tag,
                short_digest(change.get("digest") or "") or NONE,
                str(delivery.get("attempts", 0)),
                response(delivery),
                ago(parse_time(delivery.get("created")), now),
            ]
        )
    return table_layout(rows)


def response(delivery: dict[str, Any]) -> str:
    """`HTTP 200`, or the start of the error when there was no answer, or
    what the last attempt said (a Git write-back: "pushed …", "already up to date …")."""
    if delivery.get("response_status"):
        return f"HTTP {delivery['response_status']}"
    text = delivery.get("error") or (last_attempt(delivery).get("response_body") or "")
    text = " ".join(text.split())
    if len(text) > ERROR_WIDTH:
        text = text[: ERROR_WIDTH - 3] + "..."
    return text or NONE


def last_attempt(delivery: dict[str, Any]) -> dict[str, Any]:
    return (delivery.get("attempt_log") or [{}])[-1]


def describe_trigger(
    trigger: dict[str, Any], deliveries: list[dict[str, Any]], now: datetime
) -> str:
    out = DescribeWriter()
    out.field("Name", trigger.get("name"))
    out.field("Project", trigger.get("project"))
    out.field("Watches", watches(trigger) + ("" if trigger.get("tag") else " (every tag)"))
    out.field("Kind", trigger.get("preset"))
    out.field("URL", trigger.get("url"))
    out.mapping("Options", _flat(trigger.get("options") or {}))
    out.field("Secret", "set" if trigger.get("has_secret") else "")
    out.field("Auth Token", "set" if trigger.get("has_token") else "")
    if trigger.get("has_ssh_key"):
        out.field("SSH Deploy Key", "set")
    reason = trigger.get("disabled_reason")
    out.field("State", f"{state(trigger)}: {reason}" if reason else state(trigger))
    out.field("Failures", f"{trigger.get('consecutive_failures', 0)} in a row")
    out.field("Last Delivery", _last_delivery(trigger, now))
    out.field("Last Error", trigger.get("last_error"))
    out.field("Created", ago(parse_time(trigger.get("created")), now))
    out.field("Updated", ago(parse_time(trigger.get("updated")), now))
    text = out.text()
    if not deliveries:
        return text + "\nRecent Deliveries:\t<none>\n"
    table = deliveries_table(deliveries, now)
    text += "\nRecent Deliveries:\n" + _indented(table)
    if trigger.get("preset") == "git":
        text += git_commits(deliveries, now)
    return text


def git_commits(deliveries: list[dict[str, Any]], now: datetime) -> str:
    """A Git write-back's commits among the deliveries, and the newest diff."""
    rows = [["COMMIT", "TAG", "IMAGE", "PUSHED"]]
    newest_diff: tuple[str, str] | None = None
    for delivery in deliveries:
        change = delivery.get("change") or {}
        for attempt in reversed(delivery.get("attempt_log") or []):
            if attempt.get("commit"):
                tag = f"{change['stream']}:{change['tag']}" if change else NONE
                digest = short_digest(change.get("digest") or "") or NONE
                when = ago(parse_time(attempt.get("started")), now)
                rows.append([attempt["commit"][:12], tag, digest, when])
            if attempt.get("diff") and newest_diff is None:
                label = attempt.get("commit", "")[:12] or "dry run, not committed"
                newest_diff = (label, attempt["diff"])
    text = ""
    if len(rows) > 1:
        text += "\nCommits:\n" + _indented(table_layout(rows))
    if newest_diff:
        text += f"\nLast Diff ({newest_diff[0]}):\n" + _indented(newest_diff[1])
    return text


def _indented(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.splitlines())


def _flat(options: dict[str, Any]) -> dict[str, Any]:
    """Nested options (GitLab's variables) as `variables.NAME`, lists of
    objects (a Git write-back's updates) as `updates[1]` = `key=value,…`;
    several lines (a commit message template) on one."""
    flat: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{name}": inner for name, inner in value.items()})
        elif isinstance(value, list):
            for number, item in enumerate(value, 1):
                # Sorted: the database may not keep the order they were written in.
                parts = sorted(item.items()) if isinstance(item, dict) else [("", item)]
                flat[f"{key}[{number}]"] = ",".join(f"{k}={v}" if k else str(v) for k, v in parts)
        elif isinstance(value, str) and "\n" in value:
            flat[key] = value.replace("\n", "\\n")
        else:
            flat[key] = value
    return flat


def _last_delivery(trigger: dict[str, Any], now: datetime) -> str:
    when = parse_time(trigger.get("last_delivery_at"))
    if when is None:
        return NONE
    status = trigger.get("last_response_status")
    if trigger.get("preset") == "git":  # no HTTP answer to show: whether it worked
        return f"{ago(when, now)} ({'failed' if trigger.get('last_error') else 'written'})"
    return f"{ago(when, now)} (HTTP {status})" if status else f"{ago(when, now)} (no answer)"
