"""What a patient's view was built from, as a few numbers read in one small query.

The phone asks "what next?" every few seconds; most of the time nothing changed. A stamp
answers "did anything change?" without loading the task list: every change to a step bumps its
`version` (the ORM's version counter), every queue operation bumps its entry's `version`
(`navigation.queues.lines.record`), a new map or a closure bumps the site map's versions, a
new site document (a room renamed) the site's places version. Sums of counters that only grow,
with the row counts and the newest ids, change with any of them.
The API turns a stamp into an ETag (If-None-Match -> 304).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.models import (
    Journey,
    Patient,
    QueueEntry,
    Room,
    RoomQueue,
    RoomStatus,
    ServiceTime,
    Site,
    SiteMapRecord,
    Task,
    TaskDependency,
)
from navigation.queues.lines import ACTIVE
from navigation.routing import MapVersions
from navigation.sequencing.adapter import minute_of_day


def _counters(model: Any, where: sa.ColumnElement[bool], grows: Any) -> list[sa.ScalarSelect[Any]]:
    """Rows, newest id and the sum of a growing counter: any insert, delete or bump moves one."""
    return [
        sa.select(sa.func.count()).select_from(model).where(where).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.max(model.id), 0)).where(where).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(grows), 0)).where(where).scalar_subquery(),
    ]


JOURNEY_ID: sa.BindParameter[int] = sa.bindparam("journey_id", type_=sa.Integer)


def _compared(*values: Any) -> sa.ColumnElement[str]:
    """Figures the stamp only compares, as one text: a column each cost the driver and
    SQLAlchemy more per poll (a description and a result processor each) than the database's
    work on them. SQL constants, not parameters: psycopg keeps its parse of a statement only
    under 50 of those."""
    text: sa.ColumnElement[str] = sa.literal_column("''", sa.String)
    for value in values:
        text = (
            text
            + sa.literal_column("'|'", sa.String)
            + sa.func.coalesce(sa.cast(value, sa.String), sa.literal_column("''", sa.String))
        )
    return text


@dataclass(frozen=True, eq=False)
class Stamp:
    """One view's stamp: a one-row statement keyed by the `journey_id` bind alone, so that it
    can run by itself or ride on the query that checks a patient's link
    (`navigation.access.journey_for_token`): a phone's poll then costs one round trip."""

    name: str
    statement: sa.Select[Any]


JOURNEY = Stamp(  # built once: a statement this size takes longer to build than to run
    "journey",
    sa.select(
        Journey.site_id,
        SiteMapRecord.version,
        SiteMapRecord.closures_version,
        Site.timezone,
        _compared(
            Journey.status,
            Journey.priority,
            Journey.token_salt,
            Journey.last_meal_at,
            Journey.fasting_confirmed,
            Journey.completed_at,
            Journey.catalog_version,
            Patient.name,
            Patient.language,
            Patient.mobility,
            Site.code,
            Site.places_version,
            *_counters(Task, Task.journey_id == JOURNEY_ID, Task.version),
            *_counters(TaskDependency, TaskDependency.journey_id == JOURNEY_ID, TaskDependency.min_gap_min),
            *_counters(QueueEntry, QueueEntry.journey_id == JOURNEY_ID, QueueEntry.version),
        ),
        sa.select(sa.func.aggregate_strings(sa.cast(Room.hours, sa.Text), "|"))
        .where(Room.site_id == Site.id, Room.status != RoomStatus.CLOSED)
        .scalar_subquery(),
    )
    .select_from(Journey)
    .join(Patient, Patient.id == Journey.patient_id)
    .join(Site, Site.id == Journey.site_id)
    .outerjoin(SiteMapRecord, SiteMapRecord.site_id == Site.id)
    .where(Journey.id == JOURNEY_ID),
)


_KEPT = "carepath.read_stamp"  # in the session's info: (stamp, journey id, values)


def keep(session: Session, stamp: Stamp, journey_id: int, values: tuple[Any, ...]) -> None:
    """A stamp read along with the patient's link, for the view of this request to use once."""
    session.info[_KEPT] = (stamp, journey_id, values)


def forget(session: Session) -> None:
    """At the end of a request: a stamp kept and not used (the view failed) is not used later."""
    session.info.pop(_KEPT, None)


def _read(session: Session, stamp: Stamp, journey_id: int) -> tuple[Any, ...]:
    kept_stamp, kept_journey, values = session.info.pop(_KEPT, (None, None, ()))
    if (kept_stamp, kept_journey) == (stamp, journey_id):
        return values
    # Core, not the ORM: nothing here becomes an object
    return tuple(session.connection().execute(stamp.statement, {"journey_id": journey_id}).one())


@dataclass(frozen=True)
class JourneyStamp:
    """The journey view's stamp, with what the view reads from the same row."""

    values: tuple[Any, ...]
    site_id: int
    map_versions: MapVersions | None  # the route is drawn on the same ones


def journey_stamp(session: Session, journey_id: int, now: datetime) -> JourneyStamp:
    """Everything the journey view shows, stamped: the journey's own fields, its patient and
    site, its steps and their order rules, its places in line, the map and closures its route
    is drawn on, and the phase of the clock (once the rooms close the view says when to come
    back, with nothing else changed). The site's places version stands for its rooms' names and
    floors. Read from the database alone: a poll answered 304 never loads the journey."""
    site_id, map_version, closures_version, timezone, compared, hours = _read(session, JOURNEY, journey_id)
    versions = MapVersions(map_version, closures_version) if map_version is not None else None
    values = (map_version, closures_version, timezone, compared, *_clock_phase(hours, timezone, now))
    return JourneyStamp(values, site_id, versions)


_WINDOW = re.compile(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})")


def _clock_phase(hours: str | None, timezone: str, now: datetime) -> tuple[Any, ...]:
    """All of the clock the journey view reads (`navigation.opening.come_back`): the local day,
    the open rooms' windows, and how many of them have closed. A phone's ETag then lasts until
    a window closes, not a minute: most polls of an unchanged journey answer 304."""
    windows, ends = _windows(hours or "")
    local = now.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    return local.date(), windows, sum(1 for end in ends if end <= minute)


@lru_cache(maxsize=256)
def _windows(hours: str) -> tuple[tuple[tuple[str, str], ...], tuple[int, ...]]:
    """The distinct opening windows in a site's rooms' hours, and the minute each ends: the
    same few texts for every patient of a site, parsed once."""
    windows = tuple(sorted(set(_WINDOW.findall(hours))))
    return windows, tuple(minute_of_day(end) for _, end in windows)


def _totals(model: Any, where: sa.ColumnElement[bool], grows: Any, *more: Any) -> sa.Subquery:
    """One row: as `_counters`, and `more` aggregates of the same rows."""
    return (
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.max(model.id), 0),
            sa.func.coalesce(sa.func.sum(grows), 0),
            *more,
        )
        .where(where)
        .subquery()
    )


def _queue_stamp_statement() -> sa.Select[Any]:
    """One-row aggregates side by side, the patient's lines read once (a CTE): short enough
    (under 4 kB) for psycopg to keep its parse of the SQL; written out subquery by subquery it
    was parsed again on every poll, a quarter of the poll's CPU."""
    lines = sa.select(
        sa.select(QueueEntry.queue_id)
        .where(QueueEntry.journey_id == JOURNEY_ID, QueueEntry.status.in_(ACTIVE))
        .cte("lines")
        .c.queue_id
    )
    rooms = sa.select(RoomQueue.room_id).where(RoomQueue.id.in_(lines))
    not_open = sa.case((Room.status != RoomStatus.OPEN, 1))
    parts = [
        _totals(QueueEntry, QueueEntry.journey_id == JOURNEY_ID, QueueEntry.version),
        _totals(QueueEntry, QueueEntry.queue_id.in_(lines), QueueEntry.version),
        _totals(
            RoomQueue,
            RoomQueue.id.in_(lines),
            RoomQueue.last_ticket,
            sa.func.max(RoomQueue.paused_at),
            sa.func.max(RoomQueue.paused_until),
        ),
        sa.select(sa.func.coalesce(sa.func.sum(Room.stations), 0), sa.func.count(not_open))
        .where(Room.id.in_(rooms))
        .subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(ServiceTime.samples), 0))
        .where(ServiceTime.room_id.in_(rooms))
        .subquery(),
    ]
    joined: sa.FromClause = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, sa.true())  # one row each: side by side
    return sa.select(_compared(*[column for part in parts for column in part.c])).select_from(joined)


QUEUE = Stamp("queue", _queue_stamp_statement())


def queue_stamp(session: Session, journey_id: int, now: datetime) -> tuple[Any, ...]:
    """The patient's places in line, stamped: their own entries, everyone in the lines they
    stand in (anyone ahead called, skipped, moved or joining first changes it), those rooms'
    pauses, desks and learned service times, and the minute (waits count down with the clock)."""
    return (*_read(session, QUEUE, journey_id), now.replace(second=0, microsecond=0))
