"""Thin wrapper around the `skopeo` CLI, used as an independent client to cross-check pushes."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

BINARY = shutil.which("skopeo") or "/usr/bin/skopeo"

Creds = tuple[str, str] | None


class SkopeoError(RuntimeError):
    pass


class Skopeo:
    """All registries in the lab are plain HTTP, hence --tls-verify=false everywhere."""

    def __init__(self, binary: str = BINARY, timeout: float = 60.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def run(self, *args: str) -> bytes:
        result = subprocess.run(
            [self.binary, *args], capture_output=True, timeout=self.timeout, check=False
        )
        if result.returncode != 0:
            raise SkopeoError(
                f"skopeo {' '.join(args)} exited {result.returncode}: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
        return result.stdout

    def inspect_raw(self, reference: str, *, creds: Creds = None) -> bytes:
        """The manifest bytes exactly as served for 'host/repo:tag' or 'host/repo@digest'."""
        return self.run("inspect", "--raw", *self._flags(creds), f"docker://{reference}")

    def inspect(self, reference: str, *, creds: Creds = None) -> dict[str, Any]:
        """skopeo's summary (Digest, Labels, Architecture, …); --no-tags skips tags/list."""
        out = self.run("inspect", "--no-tags", *self._flags(creds), f"docker://{reference}")
        return json.loads(out)

    @staticmethod
    def _flags(creds: Creds) -> list[str]:
        # --no-creds so a developer's ~/.docker/config.json or auth.json cannot leak in.
        auth = ["--creds", f"{creds[0]}:{creds[1]}"] if creds else ["--no-creds"]
        return ["--tls-verify=false", *auth]
