"""A one-line progress indicator for long requests, shown only on a terminal
(stderr), so piped output and scripts stay quiet."""

from __future__ import annotations

import threading
import time
from typing import TextIO

FRAMES = "|/-\\"
CLEAR_LINE = "\r\x1b[K"


class Progress:
    """`with Progress(stderr, "Importing python:3.5"):` shows
    `Importing python:3.5 ... | 12s` while the block runs."""

    def __init__(self, stream: TextIO, message: str, *, interval: float = 0.2) -> None:
        self.stream = stream
        self.message = message
        self.interval = interval
        self.enabled = _is_terminal(stream)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.stream.write(CLEAR_LINE)
            self.stream.flush()

    def _run(self) -> None:
        started = time.monotonic()
        frame = 0
        while True:
            elapsed = int(time.monotonic() - started)
            self.stream.write(f"{CLEAR_LINE}{self.message} ... {FRAMES[frame % 4]} {elapsed}s")
            self.stream.flush()
            frame += 1
            if self._stop.wait(self.interval):
                return


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
