"""Text layouts of `oc`: Go's tabwriter, go-units wording, tag priority, and
the describe/get layouts built on them. Pure functions; no I/O."""

from __future__ import annotations
