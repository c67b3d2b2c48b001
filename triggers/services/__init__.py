"""Writes of the triggers app; interfaces call these."""

from __future__ import annotations
