"""Audit trail of staff actions: written in the same transaction as the action itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from navigation.models import AuditRecord, StaffUser


def record(
    session: Session,
    actor: StaffUser | None,
    action: str,
    target_type: str,
    target_id: object,
    *,
    site_id: int | None,
    now: datetime,
    patient_id: int | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditRecord(
            at=now,
            actor_id=actor.id if actor else None,
            actor=actor.username if actor else "system",
            action=action,
            site_id=site_id,
            patient_id=patient_id,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail,
        )
    )
