"""A real day's figures, read from the database, in the simulator's words.

`carepath simulate` prints `navigation.simulation.kpis.kpis` for a simulated day; the same keys
here describe a real one (or the part of it that has happened by `now`), so the two can be put
side by side. `mean_time_on_site_min` leaves out a closing meal, as the simulator does (time
away while results are written is not known here). Differences that cannot be helped: a real
day knows no walking distance, so `mean_wait_min` (time in hospital not spent in an exam, as in the simulator) includes the walks;
the steps' queue waits (arrival at the room to the call) are `mean_queue_wait_min` and
`p90_queue_wait_min`. Everything the dashboard and the daily report show comes from `StepRow`s,
so the CSV's rows and the figures cannot disagree.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from navigation.models import EntryStatus, Journey, QueueEntry, Room, Site, Task, TaskStatus
from navigation.sequencing.adapter import parse_hours
from navigation.simulation.kpis import percentile

SELF_SERVICE_TYPES = ("reception", "cashier", "cafeteria", "report_desk", "waiting")  # as the simulator
UNFINISHED = (TaskStatus.CANCELLED, TaskStatus.FAILED)
# the days a report can be about (date arithmetic in a time zone overflows at the calendar's ends)
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)  # as api/schemas.py PLAUSIBLE_TIME


@dataclass(frozen=True)
class StepRow:
    """One patient step of the day: planned and actual times, and the wait before it."""

    patient: str  # a pseudonym, stable for the day's report, not reversible without the key
    journey_id: int
    step: str
    kind: str
    exam: str  # catalog exam codes (GLU+LIPID); never the patient's name
    department: str
    room: str | None
    status: str
    planned_start: datetime | None
    planned_end: datetime | None
    arrived_at: datetime | None
    called_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    wait_min: float | None  # arrival to the call (to now while still waiting)
    service_min: float | None
    no_show: bool
    not_done: str | None  # why the step cannot be done today, when it cannot


@dataclass(frozen=True)
class Day:
    """A site's day: its local date, its bounds in UTC, and how far it has got."""

    site: Site
    date: date
    start: datetime
    end: datetime
    now: datetime

    @property
    def until(self) -> datetime:
        return min(max(self.now, self.start), self.end)

    @property
    def over(self) -> bool:
        return self.now >= self.end


def site_day(site: Site, day: date, now: datetime) -> Day:
    zone = ZoneInfo(site.timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return Day(site, day, start, start + timedelta(days=1), now)


def today(site: Site, now: datetime) -> date:
    return now.astimezone(ZoneInfo(site.timezone)).date()


def pseudonym(key: str, site: Site, patient_id: int) -> str:
    digest = hmac.new(key.encode(), f"{site.code}:{patient_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:10]}"


def journeys_of(session: Session, day: Day) -> list[Journey]:
    return list(
        session.scalars(
            sa.select(Journey)
            .where(
                Journey.site_id == day.site.id, Journey.created_at >= day.start, Journey.created_at < day.end
            )
            .options(selectinload(Journey.tasks).selectinload(Task.planned_room))
            .order_by(Journey.id)
        )
    )


def step_rows(session: Session, day: Day, key: str) -> list[StepRow]:
    journeys = journeys_of(session, day)
    entries = _last_entries(session, [j.id for j in journeys])
    rows = []
    for journey in journeys:
        name = pseudonym(key, day.site, journey.patient_id)
        for task in journey.tasks:
            rows.append(_row(day, name, journey, task, entries.get(task.id)))
    return rows


def _last_entries(session: Session, journey_ids: list[int]) -> dict[int, QueueEntry]:
    """Each step's latest place in a line (a moved patient has more than one)."""
    if not journey_ids:
        return {}
    found = session.scalars(
        sa.select(QueueEntry)
        .where(QueueEntry.journey_id.in_(journey_ids))
        .options(selectinload(QueueEntry.queue))
        .order_by(QueueEntry.id)
    )
    return {entry.task_id: entry for entry in found}


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else round(max(0.0, (b - a).total_seconds() / 60), 1)


def _row(day: Day, name: str, journey: Journey, task: Task, entry: QueueEntry | None) -> StepRow:
    called = entry.called_at or entry.started_at if entry else None
    waiting_now = entry is not None and entry.status in (EntryStatus.WAITING, EntryStatus.SKIPPED)
    room = entry.queue.room.code if entry else (task.planned_room.code if task.planned_room else None)
    department = task.room_types[0] if task.room_types else task.kind
    if entry:
        department = entry.queue.room.room_type
    elif task.planned_room:
        department = task.planned_room.room_type
    return StepRow(
        patient=name,
        journey_id=journey.id,
        step=task.key,
        kind=task.kind,
        exam="+".join(task.exam_codes),
        department=department,
        room=room,
        status=task.status.value,
        planned_start=task.planned_start,
        planned_end=task.planned_end,
        arrived_at=entry.joined_at if entry else None,
        called_at=called,
        started_at=task.started_at,
        completed_at=task.completed_at,
        wait_min=_minutes(entry.joined_at, day.until if waiting_now else called) if entry else None,
        service_min=_minutes(task.started_at, task.completed_at),
        no_show=entry is not None and entry.status == EntryStatus.NO_SHOW,
        not_done=_not_done(day, task),
    )


def _not_done(day: Day, task: Task) -> str | None:
    if task.status == TaskStatus.COMPLETED:
        return None
    if task.status in UNFINISHED:
        return task.status_reason or task.status.value
    if task.plan_note:
        return task.plan_note
    return "not done by the end of the day" if day.over else None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def figures(rows: list[StepRow], open_minutes: float) -> dict[str, Any]:
    """The day's KPIs from its steps, with the simulator's keys (navigation/simulation/kpis.py)."""
    by_patient: dict[str, list[StepRow]] = {}
    for row in rows:
        by_patient.setdefault(row.patient, []).append(row)
    stay, on_site, wait, fasting = [], [], [], []
    for steps in by_patient.values():
        minutes = _stay(steps)
        busy = sum(r.service_min or 0.0 for r in steps)
        stay.append(minutes)
        on_site.append(minutes - _closing_meal(steps))
        wait.append(max(0.0, minutes - busy))
        fasted = _fasting(steps)
        if fasted is not None:
            fasting.append(fasted)
    queue_waits = [r.wait_min for r in rows if r.wait_min is not None]
    busy_rooms = sum(r.service_min or 0.0 for r in rows if r.department not in SELF_SERVICE_TYPES)
    not_done = [r for r in rows if r.not_done]
    return {
        "patients": len(by_patient),
        "mean_time_in_hospital_min": round(_mean(stay), 1),
        "p90_time_in_hospital_min": round(percentile(stay, 0.9), 1),
        "mean_wait_min": round(_mean(wait), 1),
        "mean_fasting_min": round(_mean(fasting), 1),
        "utilisation": round(busy_rooms / open_minutes, 3) if open_minutes else 0.0,
        "steps_not_done": len(not_done),
        "revisit_patients": len({r.patient for r in not_done}),
        "mean_time_on_site_min": round(_mean(on_site), 1),
        "p90_time_on_site_min": round(percentile(on_site, 0.9), 1),
        "steps": len(rows),
        "steps_done": sum(r.status == TaskStatus.COMPLETED.value for r in rows),
        "mean_queue_wait_min": round(_mean(queue_waits), 1),
        "p90_queue_wait_min": round(percentile(queue_waits, 0.9), 1),
        "no_shows": sum(r.no_show for r in rows),
        "not_done_reasons": dict(Counter(r.not_done for r in not_done).most_common()),
    }


def _stay(steps: list[StepRow]) -> float:
    """Arrival (the first step's queue or start) to the last step's end, as far as known."""
    times = [t for r in steps for t in (r.arrived_at, r.started_at, r.completed_at) if t is not None]
    return _minutes(min(times), max(times)) or 0.0 if times else 0.0


def _closing_meal(steps: list[StepRow]) -> float:
    """The minutes of a meal that is the patient's last step: as in the simulator, with nothing
    left to do in the hospital they eat wherever they like, so it is not time on site."""
    done = [r for r in steps if r.completed_at is not None]
    last = max(done, key=lambda r: r.completed_at, default=None)  # type: ignore[arg-type,return-value]
    if last is None or last.kind != "meal" or last.started_at is None:
        return 0.0
    return _minutes(last.started_at, last.completed_at) or 0.0


def _fasting(steps: list[StepRow]) -> float | None:
    meal = next((r for r in steps if r.kind == "meal" and r.completed_at), None)
    times = [t for r in steps for t in (r.arrived_at, r.started_at) if t is not None]
    if meal is None or not times:
        return None
    return _minutes(min(times), meal.completed_at)


def open_station_minutes(session: Session, day: Day) -> float:
    """Exam rooms' open time so far today (hours × desks), the simulator's utilisation basis."""
    zone = ZoneInfo(day.site.timezone)
    midnight = datetime.combine(day.date, time(0), zone)
    total = 0.0
    rooms = session.scalars(
        sa.select(Room).where(Room.site_id == day.site.id, Room.room_type.not_in(SELF_SERVICE_TYPES))
    )
    for room in rooms:
        for start, end in parse_hours(room.hours):
            opened = (midnight + timedelta(minutes=start)).astimezone(UTC)
            closed = min((midnight + timedelta(minutes=end)).astimezone(UTC), day.until)
            total += max(0.0, (closed - opened).total_seconds() / 60) * room.stations
    return total


def day_figures(session: Session, day: Day, key: str) -> dict[str, Any]:
    rows = step_rows(session, day, key)
    return {
        "site": day.site.code,
        "date": day.date.isoformat(),
        **figures(rows, open_station_minutes(session, day)),
    }


def across_sites(
    session: Session, sites: list[Site], day_of: date, now: datetime, key: str
) -> dict[str, Any]:
    """Every site's figures, and the region's: all sites' steps pooled (not an average of averages)."""
    per_site, pooled, minutes = [], [], 0.0
    for site in sites:
        day = site_day(site, day_of, now)
        rows = step_rows(session, day, key)
        opened = open_station_minutes(session, day)
        per_site.append({"site": site.code, "date": day_of.isoformat(), **figures(rows, opened)})
        pooled += rows
        minutes += opened
    return {"date": day_of.isoformat(), "sites": per_site, "all": figures(pooled, minutes)}
