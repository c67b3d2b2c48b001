"""`isctl`, the command line (console script `isctl = imagestreams.cli:main`).

It talks to the service only through the REST API, with httpx, and imports
nothing else from this project: it can be installed on any machine.
"""

from __future__ import annotations

from imagestreams.cli.app import main

__all__ = ["main"]
