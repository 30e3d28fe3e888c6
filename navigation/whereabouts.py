"""Where is everyone? Today's journeys at a site found by visit number, MRN or name, each with
the step the patient is on now, its room and its state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from navigation.models import Journey, Patient, QueueEntry, Site, Task
from navigation.queues.lines import ACTIVE
from navigation.task_states import next_step


@dataclass(frozen=True)
class Whereabouts:
    journey: Journey
    step: Task | None  # the line the patient is in, else the next step of their plan
    room: str | None  # the room of that line, else the planned room
    ticket: str | None
    queue_status: str | None  # waiting, called, in_service... when in a line


def find_journeys(
    session: Session,
    site: Site,
    now: datetime,
    *,
    visit_number: str | None = None,
    mrn: str | None = None,
    name: str | None = None,
    limit: int = 50,
) -> list[Whereabouts]:
    """Today's journeys (checked in since local midnight) matching every filter given, newest first."""
    local = now.astimezone(ZoneInfo(site.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    query = (
        sa.select(Journey)
        .join(Patient, Patient.id == Journey.patient_id)
        .where(Journey.site_id == site.id, Journey.created_at >= midnight)
        .options(selectinload(Journey.tasks).selectinload(Task.planned_room), selectinload(Journey.patient))
        .order_by(Journey.created_at.desc(), Journey.id.desc())
        .limit(limit)
    )
    if visit_number:
        query = query.where(Journey.visit_number == visit_number)
    if mrn:
        query = query.where(Patient.mrn == mrn)
    if name:
        query = query.where(sa.func.lower(Patient.name).contains(name.lower(), autoescape=True))
    journeys = session.scalars(query).all()
    in_line: dict[int, QueueEntry] = {}
    for entry in session.scalars(
        sa.select(QueueEntry)
        .where(QueueEntry.journey_id.in_([j.id for j in journeys]), QueueEntry.status.in_(ACTIVE))
        .order_by(QueueEntry.id)
    ):
        in_line[entry.journey_id] = entry  # the latest line the patient joined
    return [_whereabouts(journey, in_line.get(journey.id)) for journey in journeys]


def _whereabouts(journey: Journey, entry: QueueEntry | None) -> Whereabouts:
    if entry is not None:
        return Whereabouts(journey, entry.task, entry.queue.room.code, entry.ticket, entry.status.value)
    step = next_step(journey)
    room = step.planned_room.code if step is not None and step.planned_room is not None else None
    return Whereabouts(journey, step, room, None, None)
