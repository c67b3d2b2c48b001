"""The configuration file: which server, token and project to use.

`$ISCTL_CONFIG`, else `$XDG_CONFIG_HOME/isctl/config.json`, else
`~/.config/isctl/config.json`. It holds a token, so it is written with mode
0600 (atomically: a crash never leaves half a file).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from imagestreams.cli.errors import CliError


def config_path(env: Mapping[str, str]) -> Path:
    if env.get("ISCTL_CONFIG"):
        return Path(env["ISCTL_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base).expanduser() / "isctl" / "config.json"


@dataclass
class Config:
    server: str = ""
    token: str = ""
    token_id: int | None = None
    username: str = ""
    project: str = ""
    insecure_skip_tls_verify: bool = False

    @classmethod
    def load(cls, path: Path) -> Config:
        try:
            text = path.read_text()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise CliError(f"cannot read the configuration file {path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CliError(
                f"the configuration file {path} is not valid JSON ({exc}); fix it or delete it "
                'and run "isctl login" again'
            ) from None
        if not isinstance(data, dict):
            raise CliError(f"the configuration file {path} must hold a JSON object")
        known = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def save(self, path: Path) -> None:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-")
            try:
                os.fchmod(handle, 0o600)
                with os.fdopen(handle, "w") as stream:
                    json.dump(asdict(self), stream, indent=2)
                    stream.write("\n")
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise CliError(f"cannot write the configuration file {path}: {exc.strerror}") from None
