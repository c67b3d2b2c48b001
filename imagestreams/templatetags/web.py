"""Template helpers of the team pages that run once per row of long tables,
where an `{% include %}` per row costs more than the row itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html

from imagestreams.cli.format.humanize import human_duration

register = template.Library()

ONE_MINUTE = timedelta(minutes=1)


@register.simple_tag
def ago(when: datetime | None, css: str = "") -> str:
    """`<time>` with a relative time in `oc`'s words, as `isctl describe`
    prints it ("3 hours ago", "just now" under a minute), and the exact time on
    hover. ISO 8601, and go-units' wording rather than Django's `timesince`:
    each was a tenth of a 500-tag stream page's render time."""
    if when is None:
        return ""
    local = timezone.localtime(when) if settings.USE_TZ else when
    age = timezone.now() - when
    shown = "just now" if age < ONE_MINUTE else f"{human_duration(age)} ago"
    css_attr = format_html(' class="{}"', css) if css else ""
    return format_html(
        '<time datetime="{}" title="{}"{}>{}</time>',
        local.isoformat(),
        local.isoformat(sep=" ", timespec="seconds"),
        css_attr,
        shown,
    )
