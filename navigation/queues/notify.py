"""What queue changes tell the patient, through the outbox in the same transaction.

Rooms and desks go out by number only: never a department or an exam (notifications/templates).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from navigation import progress
from navigation.aftercommit import defer
from navigation.models import Journey, QueueEntry, RoomQueue
from navigation.queues.estimates import ServiceTimes, waits
from navigation.queues.lines import at_desks, line
from notifications import room_queue_channel
from notifications.events import Event
from notifications.outbox import enqueue
from notifications.templates import ROOM_NUMBER

log = logging.getLogger(__name__)


def _tell(session: Session, entry: QueueEntry, event: Event, now: datetime, **values: int | str) -> None:
    """A message about the entry's step, in the patient's language."""
    language = entry.journey.patient.language.value
    enqueue(session, entry.journey_id, event, language, step_id=entry.task_id, now=now, **values)


def turn_now(session: Session, entry: QueueEntry, now: datetime) -> None:
    room = entry.queue.room.code
    if not ROOM_NUMBER.match(room):
        # The template refuses anything but a number; the page still shows the call.
        log.warning("room code %r is not a room number: no TURN_NOW push", room)
        return
    _tell(session, entry, Event.TURN_NOW, now, room=room, desk=entry.desk or 1)


def plan_changed(session: Session, entry: QueueEntry, now: datetime, why: str | None = None) -> None:
    """With `why` (a pause category), the message says what happened to the room, by number."""
    room = entry.queue.room.code
    told: dict[str, str] = {"room": room, "why": why} if why is not None and ROOM_NUMBER.match(room) else {}
    _tell(session, entry, Event.PLAN_CHANGED, now, **told)


def turn_soon(session: Session, queue: RoomQueue, now: datetime, ahead: int) -> list[QueueEntry]:
    """Tell each patient once, when at most `ahead` people are before them in the line."""
    waiting = line(session, [queue.id], limit=ahead + 1)  # estimates need only those ahead
    close = [(i, e) for i, e in enumerate(waiting) if not e.turn_soon_sent]
    if not close:
        return []
    estimates = waits(queue, waiting, at_desks(session, queue), ServiceTimes(session, [queue.room_id]), now)
    told = []
    for people_ahead, entry in close:
        minutes = max(0, estimates[entry.id])
        _tell(session, entry, Event.TURN_SOON, now, people_ahead=people_ahead, minutes=minutes)
        entry.turn_soon_sent = True  # not an operation: the version stays
        told.append(entry)
    return told


def announce(session: Session, journey_ids: set[int], room_ids: set[int], now: datetime) -> None:
    """After the commit, open pages reload: the touched patients' phones, the touched rooms' screens."""
    for journey_id in sorted(journey_ids):
        journey = session.get(Journey, journey_id)
        if journey is not None:
            progress.journey_changed(session, journey, now)
    for room_id in sorted(room_ids):
        defer(session, "live", (room_queue_channel(str(room_id)), {"type": "queue", "room": str(room_id)}))
