"""Structured logs: which project, stream and tag a log line is about.

Services pass ``extra=tag_fields(...)`` (or ``delivery_fields``) on the log
lines of imports and deliveries. With ``LOG_FORMAT=json`` every line is one
JSON object carrying those fields; the plain format appends them as
``key=value`` pairs. Imported by the logging configuration, so it must not
import Django models.
"""

from __future__ import annotations

import logging

# Attributes added to records by these helpers, in the order shown.
CONTEXT_FIELDS = ("project", "stream", "tag", "registry", "trigger", "delivery")


def tag_fields(project: str, stream: str, tag: str, **more: object) -> dict[str, object]:
    return {"project": project, "stream": stream, "tag": tag, **more}


class PlainContextFilter(logging.Filter):
    """Gives every record a ``context`` attribute (" project=team stream=app
    tag=1", or empty) for the plain format string."""

    def filter(self, record: logging.LogRecord) -> bool:
        pairs = [
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, "") not in ("", None)
        ]
        record.context = (" " + " ".join(pairs)) if pairs else ""
        return True


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting for ``plain`` (default) or ``json`` lines."""
    if log_format not in ("plain", "json"):
        raise ValueError(f'LOG_FORMAT must be "plain" or "json", not "{log_format}"')
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{message}",
            "style": "{",
            "timestamp": "time",
            "rename_fields": {"levelname": "level", "name": "logger"},
        },
    }
    handler: dict[str, object] = {"class": "logging.StreamHandler", "formatter": log_format}
    if log_format == "plain":
        handler["filters"] = ["context"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "imagestreams.operations.logs.PlainContextFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
    }
