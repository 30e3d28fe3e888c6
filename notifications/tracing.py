"""The id of the request being served, so its log lines and the messages it queues carry it.

Set by the web app for each request; the outbox stores it with every message the request
queues, and the dispatcher sets it again while it delivers that message, so one id ties a
check-in to the push that told the patient where to go (in another process, minutes later).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("carepath_request_id", default=None)


def request_id() -> str | None:
    return _current.get()


def begin(value: str | None) -> None:
    """For a request: the id stays until the next request on this thread sets another."""
    _current.set(value)


@contextmanager
def acting_for(value: str | None) -> Iterator[None]:
    """Background work done on behalf of an earlier request (a message's delivery)."""
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)
