"""What nurses, patients and the public screen see of a line (plain dicts, read-only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from navigation.errors import NotFound
from navigation.models import (
    EntryStatus,
    Journey,
    JourneyStatus,
    Patient,
    QueueEntry,
    QueueEvent,
    Room,
    RoomQueue,
    Site,
    Task,
)
from navigation.queues.estimates import InLine, ServiceTimes, Step, Waiting, waits
from navigation.queues.lines import ACTIVE, LINE, at_desks, last_undoable, line, queue_for_room
from navigation.task_states import earliest_start
from notifications import unseen_calls

E = EntryStatus
SHOWN = (E.CALLED, E.IN_SERVICE, E.WAITING, E.SKIPPED, E.ON_HOLD, E.NO_SHOW)


def _estimates(session: Session, queue: RoomQueue, now: datetime) -> tuple[list[QueueEntry], dict[int, int]]:
    waiting = line(session, [queue.id])
    return waiting, _waits(session, queue, waiting, now)


def _waits(session: Session, queue: RoomQueue, waiting: Sequence[InLine], now: datetime) -> dict[int, int]:
    return waits(queue, waiting, at_desks(session, queue), ServiceTimes(session, [queue.room_id]), now)


def room_view(session: Session, room: Room, now: datetime) -> dict[str, Any]:
    """The nurse's screen: who is being served, who waits in which order, for how long.

    Read as rows in one query (entry, step and patient's name side by side): a nurse's screen
    asks every few seconds, and loading a busy room's line as objects with their journeys and
    patients was most of its cost."""
    queue = queue_for_room(session, room)
    rows = list(session.execute(_BOARD, {"queue_id": queue.id}))
    waiting = [r for r in rows if r.status in LINE]  # the line, in its order
    estimates = _waits(session, queue, [Waiting(r.id, Step(r.key, r.duration_min)) for r in waiting], now)
    position = {r.id: i for i, r in enumerate(waiting)}
    called = {r.journey_id for r in rows if r.status == E.CALLED}
    unseen = unseen_calls(session, called) if called else set()
    group = {E.CALLED: 0, E.IN_SERVICE: 0, E.WAITING: 1, E.SKIPPED: 1, E.ON_HOLD: 2, E.NO_SHOW: 3}
    rows.sort(key=lambda r: (group[r.status], position.get(r.id, 0), r.order_key, r.id))
    site = session.get_one(Site, room.site_id)  # the caller's site, already in the session
    return {
        "room": room.code,
        "name_en": room.name_en,
        "name_zh": room.name_zh,
        "room_type": room.room_type,
        "stations": room.stations,
        "status": room.status.value,
        "timezone": site.timezone,  # staff read the hospital's time, wherever they are
        "paused_until": queue.paused_until,
        "pause_reason": queue.pause_reason,
        "entries": [
            entry_dict(r, room.code, position.get(r.id), estimates.get(r.id))
            | {"not_seen": r.status == E.CALLED and (r.journey_id, str(r.task_id)) in unseen}
            for r in rows
        ],
        "can_undo": _undo_hint(session, queue.id),
    }


_ENTRY_ROWS = (  # built once: the nurse's board runs it on every refresh
    sa.select(
        QueueEntry.id,
        QueueEntry.ticket,
        QueueEntry.status,
        QueueEntry.desk,
        QueueEntry.priority,
        QueueEntry.recalls,
        QueueEntry.joined_at,
        QueueEntry.called_at,
        QueueEntry.started_at,
        QueueEntry.grace_until,
        QueueEntry.journey_id,
        QueueEntry.task_id,
        QueueEntry.version,
        QueueEntry.order_key,
        Task.key,
        Task.duration_min,
        Task.name_en,
        Task.name_zh,
        Patient.name.label("patient_name"),
    )
    .join(Task, Task.id == QueueEntry.task_id)
    .join(Journey, Journey.id == QueueEntry.journey_id)
    .join(Patient, Patient.id == Journey.patient_id)
)
_BOARD = _ENTRY_ROWS.where(
    QueueEntry.queue_id == sa.bindparam("queue_id"), QueueEntry.status.in_(SHOWN)
).order_by(QueueEntry.order_key, QueueEntry.id)
_ONE_ENTRY = _ENTRY_ROWS.where(QueueEntry.id == sa.bindparam("entry_id"))


def entry_dict(
    row: Any, room_code: str, people_ahead: int | None, wait_minutes: int | None
) -> dict[str, Any]:
    """An entry as the nurse sees it, from a row of `_ENTRY_ROWS`."""
    return {
        "id": row.id,
        "ticket": row.ticket,
        "status": row.status.value,
        "room": room_code,
        "desk": row.desk,
        "priority": row.priority,
        "people_ahead": people_ahead,
        "wait_minutes": wait_minutes,
        "recalls": row.recalls,
        "joined_at": row.joined_at,
        "called_at": row.called_at,
        "started_at": row.started_at,
        "grace_until": row.grace_until,
        "journey_id": row.journey_id,
        "task_id": row.task_id,
        "patient_name": row.patient_name,
        "exam_en": row.name_en,
        "exam_zh": row.name_zh,
        "version": row.version,
    }


def room_plan(session: Session, room: Room) -> list[dict[str, Any]]:
    """The room's plan: every step the sequencer booked here that is still to come, soonest
    first, with the patient's ticket once they are in line. Nurses see who to expect."""
    from navigation.task_states import FINISHED

    tasks = session.scalars(
        sa.select(Task)
        .join(Journey, Journey.id == Task.journey_id)
        .where(
            Task.planned_room_id == room.id,
            Task.planned_start.is_not(None),
            Task.status.not_in(list(FINISHED)),
            Journey.status == JourneyStatus.ACTIVE,
        )
        .order_by(Task.planned_start, Task.id)
    ).all()
    entries = {
        e.task_id: e
        for e in session.scalars(
            sa.select(QueueEntry).where(
                QueueEntry.task_id.in_([t.id for t in tasks]), QueueEntry.status.in_(ACTIVE)
            )
        )
    }
    return [
        {
            "task_id": task.id,
            "journey_id": task.journey_id,
            "visit_number": task.journey.visit_number,
            "patient_name": task.journey.patient.name,
            "exam_en": task.name_en,
            "exam_zh": task.name_zh,
            "planned_start": task.planned_start,
            "planned_end": task.planned_end,
            "station": task.planned_station,
            "status": task.status.value,
            "ticket": entries[task.id].ticket if task.id in entries else None,
        }
        for task in tasks
    ]


def _undo_hint(session: Session, queue_id: int) -> str | None:
    event = session.scalar(last_undoable(queue_id))
    return event.action if event else None


def service_view(session: Session, site_id: int, room_type: str, now: datetime) -> dict[str, Any]:
    """Every room performing a service, as one board."""
    rooms = session.scalars(
        sa.select(Room).where(Room.site_id == site_id, Room.room_type == room_type).order_by(Room.code)
    ).all()
    if not rooms:
        raise NotFound(f"no rooms of type {room_type} at your site", field="room_type")
    return {"room_type": room_type, "rooms": [room_view(session, r, now) for r in rooms]}


def journey_queue(session: Session, journey_id: int, now: datetime) -> list[dict[str, Any]]:
    """The patient's own places in line: ticket, room, people ahead, minutes (no one else's)."""
    entries = session.scalars(
        sa.select(QueueEntry)
        .where(QueueEntry.journey_id == journey_id, QueueEntry.status.in_(ACTIVE))
        .order_by(QueueEntry.id)
        .options(joinedload(QueueEntry.task).joinedload(Task.journey))  # its rules: when it may start
    ).all()
    result = []
    for entry in entries:
        ahead, estimates = None, {}
        if entry.status in LINE:
            waiting = _line_to(session, entry)
            busy = at_desks(session, entry.queue)
            estimates = waits(entry.queue, waiting, busy, ServiceTimes(session, [entry.queue.room_id]), now)
            ahead = len(waiting) - 1
        result.append(
            {
                "task_id": entry.task_id,
                "ticket": entry.ticket,
                "status": entry.status.value,
                "room": entry.queue.room.code,
                "desk": entry.desk,
                "people_ahead": ahead,
                "wait_minutes": estimates.get(entry.id),
                # the step cannot begin before this (a result awaited): the phone shows this time,
                # never "about 0 min"
                "starts_at": _starts_at(entry, now),
                "grace_until": entry.grace_until,
            }
        )
    return result


def _line_to(session: Session, entry: QueueEntry) -> list[Waiting]:
    """The line up to and including the patient's own entry, as rows: all their place and wait
    depend on (whoever is behind changes neither). A phone asks every few seconds; loading the
    whole line of a busy room as objects each time cost tens of milliseconds."""
    first = sa.or_(
        QueueEntry.order_key < entry.order_key,
        sa.and_(QueueEntry.order_key == entry.order_key, QueueEntry.id <= entry.id),
    )
    rows = session.execute(
        sa.select(QueueEntry.id, Task.key, Task.duration_min)
        .join(Task, Task.id == QueueEntry.task_id)
        .where(QueueEntry.queue_id == entry.queue_id, QueueEntry.status.in_(LINE), first)
        .order_by(QueueEntry.order_key, QueueEntry.id)
    )
    return [Waiting(entry_id, Step(key, duration)) for entry_id, key, duration in rows]


def _starts_at(entry: QueueEntry, now: datetime) -> datetime | None:
    at, _ = earliest_start(entry.task)
    return at if at is not None and at > now else None


def signage(session: Session, site_code: str, group: str, now: datetime, upcoming: int = 6) -> dict[str, Any]:
    """The public screen of a department (room type) or one room: ticket numbers and rooms only."""
    site = session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        raise NotFound(f"no site {site_code}", field="site")
    rooms = session.scalars(
        sa.select(Room)
        .where(Room.site_id == site.id, sa.or_(Room.room_type == group, Room.code == group))
        .order_by(Room.code)
    ).all()
    if not rooms:
        raise NotFound(f"no room or department {group} at {site_code}", field="group")
    queues = [queue_for_room(session, r) for r in rooms]
    ids = [q.id for q in queues]
    calling = session.scalars(
        sa.select(QueueEntry)
        .where(QueueEntry.queue_id.in_(ids), QueueEntry.status == E.CALLED)
        .order_by(QueueEntry.called_at.desc(), QueueEntry.id.desc())
        .limit(upcoming)
    ).all()
    waiting = line(session, ids, limit=upcoming)
    return {
        "site": site.code,
        "group": group,
        "calling": [{"ticket": e.ticket, "room": e.queue.room.code, "desk": e.desk} for e in calling],
        "next": [{"ticket": e.ticket, "room": e.queue.room.code} for e in waiting],
        "paused": [q.room.code for q in queues if q.paused_at is not None],
        "at": now,
    }


def entry_view(session: Session, entry: QueueEntry, now: datetime) -> dict[str, Any]:
    """One entry as the nurse sees it, with its place and wait if it is in line."""
    waiting, estimates = _estimates(session, entry.queue, now)
    ahead = next((i for i, e in enumerate(waiting) if e.id == entry.id), None)
    row = session.execute(_ONE_ENTRY, {"entry_id": entry.id}).one()
    return entry_dict(row, entry.queue.room.code, ahead, estimates.get(entry.id))


def entry_history(session: Session, entry: QueueEntry) -> list[dict[str, Any]]:
    events = session.scalars(
        sa.select(QueueEvent).where(QueueEvent.entry_id == entry.id).order_by(QueueEvent.id)
    )
    return [
        {
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "reason": e.reason,
            "at": e.at,
            "detail": e.detail,
            "undone": e.undone_by_id is not None,
        }
        for e in events
    ]
