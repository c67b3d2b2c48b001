from __future__ import annotations

from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.registry_lab.fixtures", "tests.personas"]

# Property tests check what holds for every example, never how fast an
# example runs or inputs are generated: no deadline (200 ms by default),
# no health check on slow generation (both fail on a busy CI machine).
settings.register_profile(
    "imagestreams", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("imagestreams")
