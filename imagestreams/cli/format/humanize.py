"""go-units' HumanDuration and HumanSize, which `oc` uses for every age and
size it prints, and the parsing of the API's timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta

HOURS_PER_DAY = 24


def human_duration(delta: timedelta) -> str:
    """ "Less than a second", "3 minutes", "About an hour", "13 days", …"""
    seconds = int(delta.total_seconds())
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    # Hours are rounded to the nearest one; everything above is truncated.
    hours = int(delta.total_seconds() / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < HOURS_PER_DAY * 7 * 2:
        return f"{hours // HOURS_PER_DAY} days"
    if hours < HOURS_PER_DAY * 30 * 2:
        return f"{hours // HOURS_PER_DAY // 7} weeks"
    if hours < HOURS_PER_DAY * 365 * 2:
        return f"{hours // HOURS_PER_DAY // 30} months"
    return f"{int(delta.total_seconds() // 3600) // HOURS_PER_DAY // 365} years"


def ago(when: datetime | None, now: datetime) -> str:
    return f"{human_duration(now - when)} ago" if when else ""


_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def human_size(size: float) -> str:
    """Decimal units, 4 significant digits: "3.409kB", "265.5MB", "12B"."""
    unit = 0
    while size >= 1000 and unit < len(_DECIMAL_UNITS) - 1:
        size /= 1000
        unit += 1
    return f"{size:.4g}{_DECIMAL_UNITS[unit]}"


def parse_time(text: str | None) -> datetime | None:
    """The API's ISO 8601 timestamps (`…Z` or `…+00:00`); None when absent."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
