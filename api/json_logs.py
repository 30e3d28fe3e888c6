"""Logs as one JSON object per line, with the id of the request (or delivery) they belong to.

Light on purpose: gunicorn's master loads this formatter from gunicorn.conf.py before any app.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from api.log_privacy import hide
from notifications import tracing

# attributes every LogRecord has: anything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": hide(record.getMessage()),
            "request_id": tracing.request_id(),
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _STANDARD}
        if record.exc_info:
            entry["exception"] = hide(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO, stream=None) -> logging.Handler:  # type: ignore[no-untyped-def]
    """JSON lines on standard error for the whole process (CarePath's loggers at `level`)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, logging.WARNING))
    for name in ("api", "navigation", "notifications"):
        logging.getLogger(name).setLevel(level)
    return handler
