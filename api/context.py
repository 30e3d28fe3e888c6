"""Request-scoped helpers: the clock (injectable for tests) and the one commit per request."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from api.extensions import db
from navigation.models import utcnow


def now() -> datetime:
    return current_app.config.get("CLOCK", utcnow)()


def commit() -> None:
    """Commit the request's single transaction; any failure rolls everything back."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
