"""Work that must happen only once a transaction has committed: live page updates and waking
the notification dispatcher. Domain code calls `defer`; the app registers the handlers.

A rolled-back transaction announces nothing, and nothing is announced before the data it
describes is visible to the readers it wakes. Once the data is committed nothing may turn the
answer into an error: a handler that fails (Redis away) is logged and the request goes on; the
outbox rows are already stored, and the dispatcher's sweep delivers them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

Handler = Callable[[list[tuple[str, Any]]], None]
_handlers: list[Handler] = []


def defer(session: Session, kind: str, payload: Any) -> None:
    """Queue `(kind, payload)` for the handlers, after this session's next commit."""
    session.info.setdefault("after_commit", []).append((kind, payload))


def register(handler: Handler) -> None:
    """Add a process-wide handler (idempotent: the app factory may run more than once)."""
    if handler not in _handlers:
        _handlers.append(handler)


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    items = session.info.pop("after_commit", [])
    if items:
        for handler in _handlers:
            try:
                handler(items)
            except Exception:  # the change is committed: announcing it is best effort
                logger.warning("after-commit %s failed; left for the sweep", handler.__name__, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop("after_commit", None)
