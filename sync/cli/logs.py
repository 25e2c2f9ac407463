"""Logging: human lines or JSON lines, a run id on every line, secrets masked."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

from funnelsync.secrets import redact

LogFormat = Literal["human", "json"]

run_id_var: ContextVar[str] = ContextVar("funnelsync_run_id", default="-")
"""The id of the run in progress, stamped on every log line."""

_FIELDS = ("connection", "status", "count")


class _RunContext(logging.Filter):
    """Adds the run id and masks secrets in the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = run_id_var.get()
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "run_id": getattr(record, "run_id", "-"),
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                document[name] = getattr(record, name)
        if record.exc_info:
            document["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(document, default=str)


class _Human(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s [%(run_id)s] %(message)s", "%H:%M:%S")

    def formatException(self, ei: object) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))  # type: ignore[arg-type]


def setup_logging(fmt: LogFormat = "human", level: str = "INFO") -> None:
    """Send funnelsync's logs to standard error in ``fmt`` at ``level`` and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RunContext())
    handler.setFormatter(_JsonLines() if fmt == "json" else _Human())
    logger = logging.getLogger("funnelsync")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
