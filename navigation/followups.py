"""What staff must follow up in person: messages that never reached a patient's phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import Journey
from notifications import DeliveryState, undelivered


@dataclass(frozen=True)
class Undelivered:
    journey: Journey
    message: DeliveryState


def undelivered_today(session: Session, site_id: int, now: datetime) -> list[Undelivered]:
    """Messages of the last day's journeys at a site that a phone never got, newest first."""
    journeys = {
        j.id: j
        for j in session.scalars(
            sa.select(Journey).where(
                Journey.site_id == site_id, Journey.created_at >= now - timedelta(days=1)
            )
        )
    }
    return [Undelivered(journeys[m.journey_id], m) for m in undelivered(session, journeys)]
