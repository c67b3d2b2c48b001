"""Running the fan-out by hand, for tests that leave after-commit work unsent."""

from __future__ import annotations

from imagestreams.models import TagChange
from triggers.tasks import tag_change_fan_out_task


def fan_out() -> int:
    """Run the fan-out task, as a worker would, for every change not fanned
    out yet; the number of deliveries written."""
    waiting = TagChange.objects.filter(fanned_out_at__isnull=True).order_by("pk")
    return sum(tag_change_fan_out_task(pk) or 0 for pk in waiting.values_list("pk", flat=True))
