"""Errors that end a command: printed as `error: <message>` on stderr."""

from __future__ import annotations

EXIT_ERROR = 1
EXIT_USAGE = 2


class CliError(Exception):
    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CliError):
    """Wrong arguments or flags: the command's help says how to call it."""

    exit_code = EXIT_USAGE
