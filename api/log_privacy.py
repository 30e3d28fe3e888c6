"""Keep patients' link tokens and live-stream tickets out of access logs.

The werkzeug server and gunicorn write each request line (`GET /p/pt_12_... HTTP/1.1`,
`GET /b/bk_3_...`, `GET /api/v1/live?ticket=...`) to their access log; anyone who reads the log
could open the patient's journey or booking. A filter on their loggers blanks the secret part
before any handler sees it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

SECRETS = re.compile(r"((?:pt|bk)_\d{1,18}_)[A-Za-z0-9_-]{43}|(ticket=)[^&\s\"']+")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def hide(text: str) -> str:
    return SECRETS.sub(lambda m: (m.group(1) or m.group(2)) + "[hidden]", text)


def _hidden(value: Any) -> Any:
    return hide(value) if isinstance(value, str) else value


class HideLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _hidden(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_hidden(value) for value in record.args)
        return True


def install() -> None:
    """Add the filter to the access loggers once per process."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideLinkTokens) for f in logger.filters):
            logger.addFilter(HideLinkTokens())
