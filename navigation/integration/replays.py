"""Messages already handled, by the sender's id: a resent message gets the first answer again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import InboundMessage, Journey, Site


def earlier_answer(
    session: Session, site: Site, protocol: str, message_id: str | None
) -> dict[str, Any] | None:
    if not message_id:
        return None
    return session.scalar(
        sa.select(InboundMessage.answer).where(
            InboundMessage.site_id == site.id,
            InboundMessage.protocol == protocol,
            InboundMessage.message_id == message_id[:200],
        )
    )


def remember_answer(
    session: Session,
    site: Site,
    protocol: str,
    message_id: str | None,
    journey: Journey | None,
    answer: dict[str, Any],
    now: datetime,
) -> None:
    """In the same transaction as the changes; a concurrent duplicate fails on the unique key."""
    if message_id:
        session.add(
            InboundMessage(
                site_id=site.id,
                protocol=protocol,
                message_id=message_id[:200],
                journey_id=journey.id if journey else None,
                answer=answer,
                received_at=now,
            )
        )
