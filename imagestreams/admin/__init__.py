"""The Django admin for operators: every model, with actions that call the
same services as the API, the CLI and the team pages."""

from __future__ import annotations

from imagestreams.admin import changes, images, operations, projects, streams

__all__ = ["changes", "images", "operations", "projects", "streams"]
