"""Idempotency keys: a retried check-in returns the journey the first attempt created."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from navigation.errors import DomainError
from navigation.models import IdempotencyKey, Journey


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def replayed_journey(session: Session, key: str, actor_id: int, fingerprint: str) -> Journey | None:
    """The journey an earlier request with this key created, or None if the key is new."""
    row = session.get(IdempotencyKey, (key, actor_id))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise DomainError("this Idempotency-Key was used for a different request", field="Idempotency-Key")
    return session.get(Journey, row.journey_id)


def remember(session: Session, key: str, actor_id: int, fingerprint: str, journey: Journey) -> None:
    """Stored in the same transaction as the journey; a concurrent duplicate fails on the key."""
    session.add(IdempotencyKey(key=key, actor_id=actor_id, request_hash=fingerprint, journey_id=journey.id))
