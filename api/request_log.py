"""Each request's id, and one JSON log line per request (the format is api/json_logs.py).

Every request gets an id (the proxy's `X-Request-Id` when it sends a sane one, else a new one),
answered in the `X-Request-Id` header, set on every log line written while it is served and
stored with the messages it queues (notifications/tracing.py). One line per request names the
URL rule, never the path (patients' link tokens are in paths); any message text still passes
through `log_privacy.hide`. No view logs names, MRNs or phone numbers: tests/test_logs.py scans
a whole simulated day for them.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from api.metrics import endpoint_label
from notifications import tracing

logger = logging.getLogger(__name__)
SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_answered)
    app.teardown_request(_end)


def _begin() -> None:
    given = request.headers.get("X-Request-Id", "")
    tracing.begin(given if SANE_ID.fullmatch(given) else uuid.uuid4().hex)
    g.log_started = time.perf_counter()


def _answered(response: Response) -> Response:
    request_id = tracing.request_id()
    if request_id:
        response.headers["X-Request-Id"] = request_id
    started = g.get("log_started")
    logger.info(
        "%s %s %s",
        request.method,
        endpoint_label(),
        response.status_code,
        extra={
            "method": request.method,
            "endpoint": endpoint_label(),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    return response


def _end(_error: BaseException | None) -> None:
    tracing.begin(None)
