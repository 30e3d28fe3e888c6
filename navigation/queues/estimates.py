"""Waiting times learned from the day: a moving average of observed service minutes per room
and service, and a small simulation of the room's desks to turn a line into minutes."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import QueueEntry, RoomQueue, ServiceTime, Task

ALPHA = 0.3  # weight of the newest observation
MAX_FACTOR = 4.0  # a service "taking" four times the catalog time is a forgotten button, not data


class Service(Protocol):
    """What an estimate reads of a step: its service (times are learned per key) and length."""

    @property
    def key(self) -> str: ...

    @property
    def duration_min(self) -> int: ...


class InLine(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def task(self) -> Service: ...


class Step(NamedTuple):
    key: str
    duration_min: int


class Waiting(NamedTuple):
    """An entry in line as a row, not an object: a phone's place in a long line reads many."""

    id: int
    task: Step


def service_key(task: Service) -> str:
    return task.key


class ServiceTimes:
    """Expected minutes per service in a room: learned if seen, else the catalog's duration."""

    def __init__(self, session: Session, room_ids: list[int]):
        rows = session.scalars(sa.select(ServiceTime).where(ServiceTime.room_id.in_(room_ids)))
        self._learned = {(r.room_id, r.service_key): r.avg_minutes for r in rows}

    def minutes(self, room_id: int, task: Service) -> float:
        return self._learned.get((room_id, service_key(task)), float(task.duration_min))


def learn(session: Session, room_id: int, task: Task, observed_minutes: float, now: datetime) -> float:
    """Fold one observed service into the room's average (call under the room queue's lock)."""
    prior = float(task.duration_min)
    observed = min(max(observed_minutes, 0.5), prior * MAX_FACTOR)
    row = session.scalar(
        sa.select(ServiceTime).where(
            ServiceTime.room_id == room_id, ServiceTime.service_key == service_key(task)
        )
    )
    if row is None:
        row = ServiceTime(room_id=room_id, service_key=service_key(task), avg_minutes=prior, samples=0)
        session.add(row)
    row.avg_minutes = row.avg_minutes + ALPHA * (observed - row.avg_minutes)
    row.samples += 1
    row.updated_at = now
    return row.avg_minutes


def waits(
    queue: RoomQueue,
    line: Sequence[InLine],
    busy: list[QueueEntry],
    times: ServiceTimes,
    now: datetime,
) -> dict[int, int]:
    """Minutes until each entry in `line` is likely called: desks free up as services end."""
    start = max(now, queue.paused_until) if queue.paused_at and queue.paused_until else now
    lead = (start - now).total_seconds() / 60
    room_id = queue.room_id
    desks = [lead] * max(1, queue.room.stations)
    for entry in busy:  # each call or service holds a desk until its expected end
        began = entry.started_at or entry.called_at or now
        remaining = times.minutes(room_id, entry.task) - (now - began).total_seconds() / 60
        free_at = heapq.heappop(desks)
        heapq.heappush(desks, max(free_at, lead, remaining))
    result = {}
    for waiting in line:
        free_at = heapq.heappop(desks)
        result[waiting.id] = round(free_at)
        heapq.heappush(desks, free_at + times.minutes(room_id, waiting.task))
    return result
