"""The stream page's tag rows as flat dicts of what the table shows.

A 500-tag page renders about 30 values per row, some a dozen times (the
row's URL, its name). Django's template engine resolves `row.tag.scheduled`
on objects by trying `row["tag"]` first and catching the TypeError, and it
escapes every value each time it is shown: two fifths of the page's render
time (bench: stream page). Dicts resolve at the first try, and the values
shown more than once are escaped here, once.
"""

from __future__ import annotations

from urllib.parse import quote

from django.utils.html import escape

from imagestreams.selectors.tag_rows import TagRow


def table_rows(rows: list[TagRow], stream_url: str) -> list[dict[str, object]]:
    return [row_values(row, stream_url) for row in rows]


def row_values(row: TagRow, stream_url: str) -> dict[str, object]:
    tag, head, image, source = row.tag, row.head, row.image, row.source
    url = f"{stream_url}tags/{quote(tag.name)}/"
    importing = row.importing
    return {
        "name": escape(tag.name),
        "url": escape(url),
        "state": row.state,
        "importing": importing,
        "failed": row.failed,
        "aliases": row.aliases,
        "history_count": row.history_count,
        # The current image, or a reference without one (reference tags).
        "has_head": head is not None,
        "has_image": image is not None,
        "digest": image.digest if image else "",
        "short_digest": image.short_digest if image else "",
        "image_url": escape(f"{stream_url}images/{image.digest}/") if image else "",
        "created": head.created if head else None,
        "reference": head.docker_image_reference if head else "",
        "platforms": row.platforms,
        "source_words": source.words,
        "source_reference": escape(source.reference),
        "source_short": source.short,
        # Badges and actions.
        "scheduled": tag.scheduled,
        "pinned": row.pinned,
        "pinned_from": tag.pinned_from.get("name", "") if row.pinned else "",
        "local_policy": row.local_policy,
        "insecure": tag.insecure,
        "last_checked_at": tag.last_checked_at,
        "condition_time": tag.condition_time,
        "condition_reason": tag.condition_reason,
        "condition_message": tag.condition_message,
        "can_import": row.can_import,
        "can_schedule": row.can_schedule,
        "has_spec": row.has_spec,
    }
