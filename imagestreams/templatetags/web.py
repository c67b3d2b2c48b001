"""Template helpers of the team pages that run once per row of long tables,
where an `{% include %}` per row costs more than the row itself."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.timezone import localtime

register = template.Library()


@register.simple_tag
def ago(when: datetime | None, css: str = "") -> str:
    """`<time>` with a relative time ("3 hours ago", "just now" under a minute)
    and the exact time on hover (ISO 8601: formatting it the localised way was
    a tenth of a long stream page's render time)."""
    if when is None:
        return ""
    local = localtime(when) if settings.USE_TZ else when
    text = timesince(when)
    shown = "just now" if text == "0\xa0minutes" else f"{text} ago"
    css_attr = format_html(' class="{}"', css) if css else ""
    return format_html(
        '<time datetime="{}" title="{}"{}>{}</time>',
        local.isoformat(),
        local.isoformat(sep=" ", timespec="seconds"),
        css_attr,
        shown,
    )
