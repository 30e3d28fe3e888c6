"""Out of hours: a journey none of whose exams can start today says when to come back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import Journey, Room, RoomStatus
from navigation.sequencing.adapter import parse_hours
from navigation.task_states import FINISHED, in_hand


def come_back(session: Session, journey: Journey, now: datetime) -> dict[str, str | bool] | None:
    """Nothing of this journey can start today (checked in after the rooms closed): when to
    come back tomorrow, and whether fasting. None while any of its exams can still happen today."""
    to_do = [t for t in journey.tasks if t.status not in FINISHED and not t.self_service]
    if not to_do or in_hand(journey) is not None or any(t.planned_start is not None for t in to_do):
        return None
    rooms = session.scalars(  # of the steps' types only: no other room can serve them
        sa.select(Room).where(
            Room.site_id == journey.site_id,
            Room.status != RoomStatus.CLOSED,
            Room.room_type.in_({kind for t in to_do for kind in t.room_types}),
        )
    ).all()
    windows = [
        window for room in rooms if any(room.serves(t) for t in to_do) for window in parse_hours(room.hours)
    ]
    local = now.astimezone(ZoneInfo(journey.site.timezone))
    minute = local.hour * 60 + local.minute
    if not windows or any(end > minute for _, end in windows):
        return None  # still open later today: the plan says why each step waits
    opens = min(start for start, _ in windows)
    return {"at": f"{opens // 60:02d}:{opens % 60:02d}", "fasting": any(t.fasting_hours > 0 for t in to_do)}
