"""Running the service: allowed and blocked registries,
pruning, health checks, metrics and structured logs."""

from __future__ import annotations
