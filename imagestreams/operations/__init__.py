"""Running the service: run-time operator settings, allowed registries,
pruning, health checks, metrics and structured logs."""

from __future__ import annotations
