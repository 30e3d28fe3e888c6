"""The department head's picture of a day: who is here, who waits where, what each room did.

Built from the same `StepRow`s as the day's figures (navigation/kpis.py), plus the rooms' state
now; plain data for the dashboard's JSON and the daily report's charts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.kpis import (
    SELF_SERVICE_TYPES,
    Day,
    StepRow,
    figures,
    journeys_of,
    open_station_minutes,
    step_rows,
)
from navigation.models import EntryStatus, JourneyStatus, QueueEntry, Room, RoomQueue, RoomStatus

TICK = timedelta(minutes=15)
IN_LINE = (EntryStatus.WAITING, EntryStatus.SKIPPED, EntryStatus.CALLED, EntryStatus.ON_HOLD)


def queue_length(rows: list[StepRow], day: Day) -> list[dict[str, Any]]:
    """Patients in a line at each quarter hour, from the first arrival to now (or the day's end)."""
    spans = [(r.arrived_at, r.called_at or day.until) for r in rows if r.arrived_at is not None]
    if not spans:
        return []
    tick = _floor(min(start for start, _ in spans))
    series = []
    while tick <= day.until:
        series.append({"at": tick, "waiting": sum(start <= tick < end for start, end in spans)})
        tick += TICK
    return series


def _floor(moment: datetime) -> datetime:
    return moment - timedelta(
        minutes=moment.minute % 15, seconds=moment.second, microseconds=moment.microsecond
    )


def gantt(rows: list[StepRow], day: Day) -> list[dict[str, Any]]:
    """Per exam room: each step's planned slot and what happened (started to done, or to now)."""
    rooms: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.room is None or row.department in SELF_SERVICE_TYPES:
            continue
        actual_end = row.completed_at or (day.until if row.started_at else None)
        rooms.setdefault(row.room, []).append(
            {
                "step": row.step,
                "planned": [row.planned_start, row.planned_end] if row.planned_start else None,
                "actual": [row.started_at, actual_end] if row.started_at else None,
            }
        )
    return [{"room": room, "bars": bars} for room, bars in sorted(rooms.items())]


def rooms_now(session: Session, day: Day) -> list[dict[str, Any]]:
    """Each exam room: busy (someone in service), paused, idle, or closed; and its line."""
    counted = session.execute(
        sa.select(RoomQueue.room_id, sa.func.count(QueueEntry.id))
        .join(QueueEntry, QueueEntry.queue_id == RoomQueue.id)
        .where(RoomQueue.site_id == day.site.id, QueueEntry.status.in_(IN_LINE))
        .group_by(RoomQueue.room_id)
    )
    lines: dict[int, int] = {room_id: count for room_id, count in counted}
    serving = set(
        session.scalars(
            sa.select(RoomQueue.room_id)
            .join(QueueEntry, QueueEntry.queue_id == RoomQueue.id)
            .where(RoomQueue.site_id == day.site.id, QueueEntry.status == EntryStatus.IN_SERVICE)
        )
    )
    paused = set(
        session.scalars(
            sa.select(RoomQueue.room_id).where(
                RoomQueue.site_id == day.site.id,
                RoomQueue.paused_until.is_not(None),
                RoomQueue.paused_until > day.now,
            )
        )
    )
    rooms = session.scalars(
        sa.select(Room)
        .where(Room.site_id == day.site.id, Room.room_type.not_in(SELF_SERVICE_TYPES))
        .order_by(Room.code)
    )
    return [
        {
            "room": room.code,
            "department": room.room_type,
            "state": _state(room, room.id in serving, room.id in paused),
            "waiting": lines.get(room.id, 0),
        }
        for room in rooms
    ]


def _state(room: Room, serving: bool, paused: bool) -> str:
    if room.status != RoomStatus.OPEN:
        return "closed"
    return "busy" if serving else "paused" if paused else "idle"


def dashboard(session: Session, day: Day, key: str) -> dict[str, Any]:
    rows = step_rows(session, day, key)
    rooms = rooms_now(session, day)
    waiting = Counter(room["department"] for room in rooms for _ in range(room["waiting"]))
    active = {j.id for j in journeys_of(session, day) if j.status == JourneyStatus.ACTIVE}
    return {
        "site": day.site.code,
        "date": day.date.isoformat(),
        "timezone": day.site.timezone,
        "now": day.now,
        "figures": figures(rows, open_station_minutes(session, day)),
        "in_building": len(active),
        "waiting_by_department": dict(sorted(waiting.items())),
        "rooms": rooms,
        "rooms_busy": sum(room["state"] == "busy" for room in rooms),
        "rooms_idle": sum(room["state"] == "idle" for room in rooms),
        "queue_length": queue_length(rows, day),
        "gantt": gantt(rows, day),
        "not_done": [
            {"step": r.step, "room": r.room, "reason": r.not_done} for r in rows if r.not_done is not None
        ],
    }
