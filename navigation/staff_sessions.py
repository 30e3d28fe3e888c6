"""Staff sessions, so that one can end before its refresh token expires.

A staff access token lives minutes; the refresh token that renews it lives a working shift, and
is only as good as its row here: signing out ends that session, disabling an account or giving it
a new password ends all of its sessions (re-enabling the account does not bring them back).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import StaffSession, StaffUser


def start(session: Session, user: StaffUser, token_id: str, now: datetime, lifetime: timedelta) -> None:
    session.execute(sa.delete(StaffSession).where(StaffSession.expires_at < now))  # long over
    session.add(
        StaffSession(token_id=token_id, staff_user_id=user.id, started_at=now, expires_at=now + lifetime)
    )


def live(session: Session, token_id: str) -> bool:
    """Whether the session may still renew its access: not ended, its account still active."""
    row = session.get(StaffSession, token_id)
    if row is None or row.ended_at is not None:
        return False
    user = session.get(StaffUser, row.staff_user_id)
    return user is not None and user.active


def end(session: Session, token_id: str, now: datetime) -> None:
    session.execute(
        sa.update(StaffSession)
        .where(StaffSession.token_id == token_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_all(session: Session, user: StaffUser, now: datetime) -> None:
    session.execute(
        sa.update(StaffSession)
        .where(StaffSession.staff_user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
