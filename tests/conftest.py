from __future__ import annotations

pytest_plugins = ["tests.registry_lab.fixtures", "tests.personas", "tests.serving"]
