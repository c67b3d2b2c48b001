"""Image change triggers: outgoing webhooks fired when a tag's image changes,
and the integrated registry's push notifications."""

from __future__ import annotations
