"""Idempotency keys: a retried check-in returns the journey the first attempt created.

A key lives a day (`LIFETIME`): long enough for any client's retries, and a request that
comes back with the key later is a new request. Expired keys are deleted by the background
sweep (`forget_expired`), so the table holds about a day of check-ins.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.errors import DomainError
from navigation.models import IdempotencyKey, Journey

LIFETIME = timedelta(hours=24)


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def replayed_journey(
    session: Session, key: str, actor_id: int, fingerprint: str, now: datetime
) -> Journey | None:
    """The journey an earlier request with this key created, or None if the key is new (or
    older than its lifetime: then it is forgotten here, in the caller's transaction)."""
    mine = _expired(now).where(IdempotencyKey.key == key, IdempotencyKey.actor_id == actor_id)
    session.execute(mine.execution_options(synchronize_session="fetch"))
    row = session.get(IdempotencyKey, (key, actor_id))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise DomainError("this Idempotency-Key was used for a different request", field="Idempotency-Key")
    return session.get(Journey, row.journey_id)


def remember(
    session: Session, key: str, actor_id: int, fingerprint: str, journey: Journey, now: datetime
) -> None:
    """Stored in the same transaction as the journey; a concurrent duplicate fails on the key."""
    session.add(
        IdempotencyKey(
            key=key, actor_id=actor_id, request_hash=fingerprint, journey_id=journey.id, created_at=now
        )
    )


def forget_expired(session: Session, now: datetime) -> int:
    """Delete every key past its lifetime; returns how many. Any number of processes may run
    it at once: each deletes what is still there (the caller commits)."""
    result = session.execute(_expired(now).execution_options(synchronize_session=False))
    return cast(sa.CursorResult[Any], result).rowcount


def _expired(now: datetime) -> sa.Delete:
    return sa.delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - LIFETIME)
