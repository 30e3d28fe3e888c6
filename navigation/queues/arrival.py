"""A patient scans a room's QR code: which of their steps is this, and is it the right room?"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.errors import Conflict, NotFound
from navigation.journeys import arrive
from navigation.models import Journey, Room, Task, TaskStatus


def arrive_at_room(
    session: Session, journey: Journey, room_code: str, now: datetime, task_id: int | None = None
) -> Task:
    """Check the patient into this room's line for their ready step, or say where to go."""
    room = session.scalar(sa.select(Room).where(Room.site_id == journey.site_id, Room.code == room_code))
    if room is None:
        raise NotFound(f"no room {room_code} here", field="room")
    if task_id is None:
        ready = [t for t in journey.tasks if t.status == TaskStatus.READY and not t.self_service]
        if not ready:
            raise Conflict("none of your steps is ready yet; please follow your next step", field="room")
        here = [t for t in ready if t.planned_room_id == room.id]
        able = [t for t in ready if room.serves(t)]
        task_id = (here or able or ready)[0].id
    return arrive(session, journey, task_id, now, room_code=room.code)
