"""The screen beside a consulting room: who is called to which desk, who is next, and the
patient's QR scanned at its door ("I'm here"). Ticket numbers only, never a name or an exam."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.errors import NotFound
from navigation.models import Journey, QueueEntry, Room, Site
from navigation.queues.arrival import arrive_at_room
from navigation.queues.lines import ACTIVE, E, line, queue_for_room
from notifications import mark_seen

NEXT_SHOWN = 3


def room_at(session: Session, site_code: str, room_code: str) -> Room:
    room = session.scalar(
        sa.select(Room)
        .join(Site, Site.id == Room.site_id)
        .where(Site.code == site_code, Room.code == room_code)
    )
    if room is None:
        raise NotFound(f"no room {room_code} at {site_code}", field="room_code")
    return room


def call_screen(session: Session, room: Room, now: datetime) -> dict[str, Any]:
    """The called tickets, newest first (a recall counts as a new call), and the next three."""
    queue = queue_for_room(session, room)
    calling = session.scalars(
        sa.select(QueueEntry)
        .where(QueueEntry.queue_id == queue.id, QueueEntry.status == E.CALLED)
        .order_by(QueueEntry.called_at.desc(), QueueEntry.id.desc())
    ).all()
    return {
        "room": room.code,
        "calling": [
            {"ticket": e.ticket, "desk": e.desk or 1, "called_at": e.called_at, "recalls": e.recalls}
            for e in calling
        ],
        "next": [{"ticket": e.ticket} for e in line(session, [queue.id], limit=NEXT_SHOWN)],
        "paused": queue.paused_at is not None,
        "at": now,
    }


def door_scan(session: Session, journey: Journey, room: Room, now: datetime) -> QueueEntry:
    """The patient's QR at this room's door: in this room's line already, they are here (their
    call is seen); not yet, they join it as if they had tapped "I'm here"."""
    queue = queue_for_room(session, room)
    entry = session.scalar(
        sa.select(QueueEntry).where(
            QueueEntry.queue_id == queue.id,
            QueueEntry.journey_id == journey.id,
            QueueEntry.status.in_(ACTIVE),
        )
    )
    if entry is None:
        task = arrive_at_room(session, journey, room.code, now)
        entry = session.scalars(
            sa.select(QueueEntry).where(QueueEntry.task_id == task.id).order_by(QueueEntry.id.desc())
        ).first()
        if entry is None:  # arrival put them in another room's line: they are told where to go
            raise NotFound(f"this is not the room for your next step ({room.code})", field="code")
    mark_seen(session, journey.id, now)
    return entry
