"""Progressive delays after failed sign-ins, per account and source address.

After FREE_TRIES wrong passwords for one account from one address, each further try from there
must wait 1, 2, 4 ... seconds, at most MAX_WAIT. Keyed by account *and* source, a guesser slows
only their own tries: the nurses signing in from their own workstations are not held up, and
even from the same address the wait never grows into a lock-out. A success, or FORGET_AFTER
without failures, clears the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import LoginFailure

FREE_TRIES = 3
MAX_WAIT = timedelta(seconds=30)
FORGET_AFTER = timedelta(minutes=15)


def _row(session: Session, username: str, source: str) -> LoginFailure | None:
    return session.get(LoginFailure, (username, source))


def wait_needed(session: Session, username: str, source: str, now: datetime) -> timedelta:
    """How long this source must still wait before trying this account again (zero: try now)."""
    row = _row(session, username, source)
    if row is None or row.failures < FREE_TRIES or now - row.last_failure_at > FORGET_AFTER:
        return timedelta(0)
    wait = min(timedelta(seconds=2 ** (row.failures - FREE_TRIES)), MAX_WAIT)
    return max(row.last_failure_at + wait - now, timedelta(0))


def failed(session: Session, username: str, source: str, now: datetime) -> None:
    row = _row(session, username, source)
    if row is None:
        session.add(LoginFailure(username=username, source=source, failures=1, last_failure_at=now))
        return
    row.failures = 1 if now - row.last_failure_at > FORGET_AFTER else row.failures + 1
    row.last_failure_at = now


def succeeded(session: Session, username: str, source: str) -> None:
    session.execute(
        sa.delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.source == source)
    )
