"""The live day seen by the sequencer: load it from the database, plan, write the times back.

`navigation.sequencing` is pure; this module is the adapter. Times there are minutes of the
hospital's local day; here they become aware UTC datetimes on the task rows. Walking times come
from the site's router (closures included) in each patient's mobility profile, and from a
straight-line estimate for rooms that are not on the map.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from navigation import routing, sequencing
from navigation.booking.holds import MOVED_MIN, todays_holds
from navigation.errors import DomainError
from navigation.metrics import solver_call
from navigation.models import (
    Floor,
    Journey,
    JourneyStatus,
    Room,
    RoomQueue,
    RoomStatus,
    Site,
    Task,
    TaskStatus,
)
from navigation.sequencing.adapter import parse_hours
from navigation.sequencing.model import NO_STATION
from navigation.sequencing.planner import moved_patients, plan_afresh
from navigation.task_states import FINISHED

# One worker: a single patient's model solves in milliseconds, and one worker makes the
# choice between equally good rooms the same every time (reception and tests can rely on it).
CHECKIN_SETTINGS = sequencing.SolverSettings(workers=1, time_limit_s=0.25)
REPLAN_SECONDS = 1.5
TOUCHED_SECONDS = 0.3  # a nurse's click re-plans its patients within the request
QUEUED = ("arrived", "called", "on-hold")  # in a room's line: the plan keeps them in that room
TELL_MOVED_MIN = 15  # a background improvement tells a patient only of a move this large (or of a new room)


@dataclass
class SiteDay:
    """A DayState plus what is needed to write it back to the rows it came from."""

    state: sequencing.DayState
    site: Site
    midnight: datetime
    tasks: dict[tuple[str, str], Task]
    rooms: dict[str, Room]
    entrance: str | None  # where arriving patients start walking from

    def minute(self, at: datetime) -> int:
        return math.floor((at - self.midnight).total_seconds() / 60)

    def at(self, minute: int) -> datetime:
        return self.midnight + timedelta(minutes=minute)


def load_day(
    session: Session,
    site: Site,
    now: datetime,
    skip: Iterable[int] = (),
    only: Iterable[int] | None = None,
    joining: Iterable[Journey] = (),
) -> SiteDay:
    """Everyone on today's plan at this site (but the journeys in `skip`), and its rooms.

    With `only`, just those journeys come whole (steps, rules, patient), and of everyone else
    only the room bookings that can constrain them: those in the rooms these journeys (and
    `joining`, a journey being checked in that the caller adds itself) can use or stand in.
    A booking in another room never changes their plan, and reading a full morning's
    thousands of bookings cost a check-in or a nurse's click more than planning does.
    """
    zone = ZoneInfo(site.timezone)
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        Journey.site_id == site.id,
        Journey.status == JourneyStatus.ACTIVE,
        Journey.created_at >= midnight,
        Journey.id.not_in(list(skip)),
    )
    whole = list(today)
    if only is not None:
        whole.append(Journey.id.in_(list(only)))
    journeys = session.scalars(
        sa.select(Journey)
        .where(*whole)
        .options(
            selectinload(Journey.tasks), selectinload(Journey.dependencies), selectinload(Journey.patient)
        )
    ).all()
    rooms = open_rooms(session, site, None if only is None else _rooms_used([*journeys, *joining]))
    seq_rooms = {code: _room(r) for code, r in rooms.items()}
    walking, entrance = _walking(session, site, seq_rooms.values())
    day = SiteDay(
        sequencing.DayState(seq_rooms, {}, sequencing.Plan(), walking), site, midnight, {}, rooms, entrance
    )
    day.state.now = day.minute(now)
    paused_until: dict[str, datetime | None] = {
        code: until
        for code, until in session.execute(
            sa.select(Room.code, RoomQueue.paused_until)
            .join(RoomQueue, RoomQueue.room_id == Room.id)
            .where(Room.site_id == site.id)
        )
    }
    day.state.closures = [
        sequencing.Closure(code, day.state.now, _until(day, paused_until.get(code)))
        for code, r in rooms.items()
        if r.status == RoomStatus.PAUSED
    ]
    for hold in todays_holds(session, site.id, local.date(), now):  # booked, not yet arrived: fixed
        if hold.room in rooms:
            day.state.plan.put(hold)
            day.state.started.add((hold.patient, hold.task))
    if only is not None:
        room_ids = [r.id for r in rooms.values()]
        _add_bookings(
            session, day, (*today, Journey.id.not_in(list(only)), Task.planned_room_id.in_(room_ids))
        )
    for journey in journeys:
        add_journey(day, journey)
    return day


def _rooms_used(journeys: Iterable[Journey]) -> tuple[set[str], set[int]]:
    """The room types these journeys' steps need, and the rooms their steps are planned in."""
    tasks = [t for journey in journeys for t in journey.tasks]
    return {kind for t in tasks for kind in t.room_types}, {
        t.planned_room_id for t in tasks if t.planned_room_id
    }


def open_rooms(
    session: Session, site: Site, used: tuple[set[str], set[int]] | None = None
) -> dict[str, Room]:
    """The site's rooms not closed; with `used` (room types, room ids), only those."""
    query = (
        sa.select(Room)
        .where(Room.site_id == site.id, Room.status != RoomStatus.CLOSED)
        .order_by(Room.code)  # equal rooms are chosen alike whatever order the database keeps rows in
        .options(joinedload(Room.floor).joinedload(Floor.building))  # one query, not one per floor
    )
    if used is not None:
        types, ids = used
        query = query.where(sa.or_(Room.room_type.in_(types), Room.id.in_(ids)))
    return {r.code: r for r in session.scalars(query)}


def site_rooms(
    session: Session, site: Site
) -> tuple[dict[str, sequencing.Room], sequencing.WalkingTime, str | None]:
    """The site's rooms as the sequencer reads them, walking times and the entrance (for booking)."""
    rooms = {code: _room(r) for code, r in open_rooms(session, site).items()}
    walking, entrance = _walking(session, site, rooms.values())
    return rooms, walking, entrance


def _add_bookings(session: Session, day: SiteDay, today: tuple[sa.ColumnElement[bool], ...]) -> None:
    """The day's room bookings (the steps' times and rooms), as `_placement` reads them from rows."""
    rows = session.execute(
        sa.select(
            Task.journey_id,
            Task.key,
            Task.planned_station,
            sa.func.coalesce(Task.started_at, Task.planned_start),
            sa.func.coalesce(Task.completed_at, Task.planned_end),
            Room.code,
        )
        .join(Journey, Journey.id == Task.journey_id)
        .join(Room, Room.id == Task.planned_room_id)
        .where(
            *today,
            Task.status.not_in([TaskStatus.CANCELLED, TaskStatus.FAILED]),
            Task.self_service.is_(False),  # only room bookings constrain others
        )
        .order_by(Task.id)  # the same order whichever rooms are read
    )
    for journey_id, key, station, start, end, room in rows:
        if start is None or end is None:
            continue
        begin = day.minute(start)
        day.state.plan.put(
            sequencing.Placement(
                str(journey_id), key, room, station or 0, begin, max(day.minute(end), begin + 1)
            )
        )


def _until(day: SiteDay, paused_until: datetime | None) -> int:
    """A pause with an expected end closes the room until then; otherwise for the rest of the day."""
    end_of_day = 24 * 60
    return (
        end_of_day
        if paused_until is None
        else max(day.state.now + 1, min(day.minute(paused_until), end_of_day))
    )


def add_journey(day: SiteDay, journey: Journey) -> sequencing.Patient:
    """Put a journey's steps, rules and current bookings into the day."""
    pid = str(journey.id)
    tasks = [t for t in journey.tasks if t.status not in (TaskStatus.CANCELLED, TaskStatus.FAILED)]
    by_id = {t.id: t for t in tasks}
    patient = sequencing.Patient(
        id=pid,
        arrival_min=day.minute(journey.created_at),
        tasks=tuple(_task(t, day.rooms) for t in tasks),
        rules=tuple(
            sequencing.Rule(
                before=by_id[d.before_id].key,
                after=by_id[d.after_id].key,
                min_gap_min=d.min_gap_min,
                reason=d.reason,
                max_gap_min=d.max_gap_min,
                hard=d.hard,
            )
            for d in journey.dependencies
            if d.before_id in by_id and d.after_id in by_id
        ),
        mobility=sequencing.Mobility(journey.patient.mobility.value),
        priority=1.0 + journey.priority,
        last_meal_min=day.minute(journey.last_meal_at) if journey.last_meal_at else None,
        fasting_confirmed=journey.fasting_confirmed,
        entrance=day.entrance,
    )
    day.state.patients[pid] = patient
    for task in tasks:
        ref = (pid, task.key)
        day.tasks[ref] = task
        placement = _placement(day, pid, task)
        if placement is not None:
            day.state.plan.put(placement)
        if task.status in FINISHED or task.status == TaskStatus.IN_PROGRESS:
            day.state.started.add(ref)
        if task.business_status in QUEUED and task.planned_room is not None:
            day.state.pinned_rooms[ref] = task.planned_room.code
    return patient


def plan_journey(
    session: Session, journey: Journey, now: datetime, hint: dict[str, sequencing.Placement] | None = None
) -> list[Task]:
    """Check-in: fit one new journey into the live day, everyone else fixed. Steps that cannot
    be placed today keep no planned time and say why in `plan_note`.

    Check-ins at a site plan one at a time (a lock on the site's row until the caller
    commits), so two desks checking patients in at once never book the same free slot."""
    # FOR NO KEY UPDATE: inserting the journey already holds a key-share lock on the site row,
    # which a plain FOR UPDATE would wait on (two check-ins would deadlock)
    session.execute(sa.select(Site.id).where(Site.id == journey.site_id).with_for_update(key_share=True))
    day = load_day(session, journey.site, now, skip=[journey.id], only=(), joining=[journey])
    patient = add_journey(day, journey)
    day.state.plan.drop_patient(patient.id)
    if not hint:
        with solver_call("checkin") as call:
            call.status = sequencing.plan_arrival(day.state, patient, CHECKIN_SETTINGS).solver_status
        write_back(day, [patient.id])
        return []
    # a booked patient: their booked times are the plan's starting point
    keys = {t.key for t in patient.tasks}
    day.state.plan.set_patient(
        patient.id, [replace(p, patient=patient.id) for k, p in hint.items() if k in keys], []
    )
    with solver_call("checkin") as call:
        call.status = plan_afresh(day.state, patient.id, CHECKIN_SETTINGS).solver_status
    write_back(day, [patient.id])
    return [
        day.tasks[(patient.id, key)]
        for key, booked in hint.items()
        if (patient.id, key) in day.tasks
        and (start := day.tasks[(patient.id, key)].planned_start) is not None
        and abs(day.minute(start) - booked.start) > MOVED_MIN
    ]


def resequence_journey(session: Session, journey: Journey, now: datetime) -> list[Task]:
    """One patient's facts changed (e.g. they confirmed fasting): plan their remaining steps
    afresh around everyone else, who keep their times. Returns the steps that changed."""
    day = load_day(session, journey.site, now, only=[journey.id])
    pid = str(journey.id)
    if pid not in day.state.patients:
        return []
    with solver_call("replan") as call:
        call.status = plan_afresh(day.state, pid, CHECKIN_SETTINGS).solver_status
    return write_back(day, [pid])


def replan_touched(
    session: Session,
    site: Site,
    journey_ids: Iterable[int],
    now: datetime,
    closed_room: tuple[str, datetime] | None = None,
) -> set[int]:
    """After a queue change: re-plan the patients it touched (and, for a paused room, those it
    displaces); everyone else keeps their times. Returns the journeys whose plan changed."""
    journey_ids = list(journey_ids)
    # a paused room displaces anyone: everyone whole; otherwise the touched and the others' bookings
    day = load_day(session, site, now, only=None if closed_room is not None else journey_ids)
    touched = [str(j) for j in journey_ids if str(j) in day.state.patients]
    if closed_room is not None:
        room, until = closed_room
        event = sequencing.RoomClosed(
            room=room, start=day.state.now, end=max(day.minute(until), day.state.now + 1)
        )
        with solver_call("replan"):
            result = sequencing.replan(day.state, event, seconds=REPLAN_SECONDS)
        moved = [*result.touched_patients, *result.candidates]
    elif touched:
        with solver_call("replan") as call:
            improved = sequencing.improve(
                day.state, TOUCHED_SECONDS, reference=day.state.plan.copy(), only=touched
            )
            call.status = _stopped(improved)
        moved = touched
    else:
        return set()
    return {task.journey_id for task in write_back(day, set(moved) | set(touched))}


def claim_improvement(session: Session, site: Site, now: datetime, every: timedelta) -> bool:
    """Take the site's turn for a background improvement: at most one per `every`, whichever
    process asks first (web processes and workers all ask)."""
    claimed = session.execute(
        sa.update(Site)
        .where(Site.id == site.id, sa.or_(Site.improved_at.is_(None), Site.improved_at <= now - every))
        .values(improved_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


@dataclass
class Improvement:
    result: sequencing.ImproveResult
    changed: list[Task] = field(default_factory=list)  # steps whose room or time changed
    moved: set[int] = field(default_factory=set)  # journeys worth telling: a new room or a big move


def improve_site(session: Session, site: Site, now: datetime, seconds: float) -> Improvement:
    """Background improvement of everyone's plan (large-neighbourhood search, bounded).

    Moves cost stability, so patients are not reshuffled for small gains. The solve runs
    outside any lock, so check-ins and nurses go on meanwhile. The write is short and
    serialised with check-ins: the site's row first (check-ins wait for it; on SQLite it is
    the write lock), then the day as it is now, and the improvement is carried over to it
    (`rebase_improvement`): patients whose improved plan still fits take it, the others keep
    theirs. Only the movers' steps are written, locked first; steps another transaction holds
    (a nurse's click in progress) are skipped, never waited for, so the improver and the
    nurses never wait on each other in a circle.
    """
    day = load_day(session, site, now)
    before = day.state.plan.copy()
    with solver_call("improve") as call:
        result = sequencing.improve(day.state, seconds, reference=before)
        call.status = _stopped(result)
    improved = day.state.plan.copy()
    movers = {pid for pid in day.state.patients if improved.of_patient(pid) != before.of_patient(pid)}
    # the site's row: check-ins wait for it from here to the commit (on SQLite, the write lock)
    session.execute(
        sa.update(Site)
        .where(Site.id == site.id)
        .values(improved_at=now)
        .execution_options(synchronize_session=False)
    )
    held = _held_elsewhere(session, movers)  # lock the movers' steps before reading them again
    session.expire_all()  # read the day again, as other processes left it: movers whole, the rest
    day = load_day(session, site, now, only=[int(pid) for pid in movers])  # as bookings (fast)
    rebase_improvement(day.state, before, improved, movers - held)
    written = movers - held
    changed = write_back(day, written)  # only steps this transaction holds
    return Improvement(result, changed, _worth_telling(before, day.state.plan, written))


def _stopped(result: sequencing.ImproveResult) -> str:
    return result.stopped.replace(" ", "_")  # time_limit | converged


def _held_elsewhere(session: Session, patient_ids: set[str]) -> set[str]:
    """Lock the steps of these patients' journeys; those with a step another transaction
    holds are returned (SKIP LOCKED: nobody waits). SQLite has one writer: nothing is held."""
    ids = [int(pid) for pid in patient_ids]
    if not ids:
        return set()
    steps = sa.select(Task.journey_id).where(Task.journey_id.in_(ids))
    total = Counter(session.scalars(steps).all())
    got = Counter(session.scalars(steps.with_for_update(skip_locked=True)).all())
    return {str(j) for j, n in total.items() if got[j] < n}


def rebase_improvement(
    state: sequencing.DayState, before: sequencing.Plan, improved: sequencing.Plan, movers: set[str]
) -> None:
    """Carry an improvement computed on `before` over to the day as it is now.

    One of `movers` takes their improved plan only if nobody changed their plan meanwhile,
    and if none of its room bookings falls outside the room's opening now (a pause) or
    overlaps a booking made or moved since, or the old booking of a patient who keeps theirs.
    Overlap is judged per room, not per station: cautious, never a double booking.
    """
    candidates = {pid for pid in movers if state.plan.of_patient(pid) == before.of_patient(pid)}
    taken: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for ref, p in state.plan.placements.items():
        if p.room is not None and p.station >= 0 and before.placements.get(ref) != p:
            taken[p.room].append((p.start, p.end))

    def clashes(pid: str) -> bool:
        for p in improved.of_patient(pid):
            if p.room is None or p.station < 0 or (pid, p.task) in state.started:
                continue
            room = state.rooms.get(p.room)
            if room is None or not any(a <= p.start and p.end <= b for a, b in state.open_windows(room)):
                return True
            if any(p.start < end and start < p.end for start, end in taken[p.room]):
                return True
        return False

    refused: set[str] = set()
    while newly := {pid for pid in candidates - refused if clashes(pid)}:
        refused |= newly
        for pid in newly:  # they keep their old bookings, which nobody else may take now
            for p in before.of_patient(pid):
                if p.room is not None and p.station >= 0:
                    taken[p.room].append((p.start, p.end))
    for pid in candidates - refused:
        state.plan.set_patient(pid, improved.of_patient(pid), improved.unplaced_of(pid))


def _worth_telling(before: sequencing.Plan, after: sequencing.Plan, among: set[str]) -> set[int]:
    """Journeys (of `among`) with a step moved by more than TELL_MOVED_MIN or to another room."""
    moved = set(moved_patients(before, after, TELL_MOVED_MIN))
    moved |= {
        ref[0]
        for ref, p in after.placements.items()
        if ref in before.placements and before.placements[ref].room != p.room
    }
    return {int(pid) for pid in moved & among}


def write_back(day: SiteDay, patient_ids: Iterable[str]) -> list[Task]:
    """Copy planned rooms and times to the task rows; returns the tasks that changed."""
    changed = []
    for pid in patient_ids:
        placed = {p.task: p for p in day.state.plan.of_patient(pid)}
        unplaced = {u.task: u for u in day.state.plan.unplaced_of(pid)}
        for (owner, key), task in day.tasks.items():
            if owner != pid or task.status in FINISHED or task.status == TaskStatus.IN_PROGRESS:
                continue
            before = (task.planned_start, task.planned_room_id)
            if key in placed:
                p = placed[key]
                task.planned_start, task.planned_end = day.at(p.start), day.at(p.end)
                if p.room is not None:
                    task.planned_room, task.planned_station = day.rooms[p.room], p.station
                task.plan_note = None
            elif key in unplaced:
                task.planned_start = task.planned_end = task.planned_station = None
                task.plan_note = unplaced[key].reason
            if (task.planned_start, task.planned_room.id if task.planned_room else None) != before:
                changed.append(task)
    return changed


def _room(room: Room) -> sequencing.Room:
    return sequencing.Room(
        code=room.code,
        room_type=room.room_type,
        stations=room.stations,
        windows=parse_hours(room.hours),
        building=room.floor.building.code,
        floor=room.floor.ordinal,
    )


def _task(task: Task, rooms: dict[str, Room]) -> sequencing.Task:
    of_type = [r for r in rooms.values() if r.room_type in task.room_types]
    serving = tuple(r.code for r in of_type if r.serves(task))
    return sequencing.Task(
        key=task.key,
        kind=task.kind,
        room_types=tuple(task.room_types),
        duration_min=task.duration_min,
        room_durations=tuple(sorted(task.room_durations.items())),
        exam_codes=tuple(task.exam_codes),
        fasting_hours=task.fasting_hours,
        full_bladder=task.full_bladder,
        self_service=task.self_service,
        location_neutral=task.self_service and task.kind in ("payment", "water", "meal"),
        only_rooms=None if len(serving) == len(of_type) else serving,
    )


def _placement(day: SiteDay, pid: str, task: Task) -> sequencing.Placement | None:
    start = task.started_at or task.planned_start
    end = task.completed_at or task.planned_end
    if start is None or end is None:
        return None
    room = task.planned_room.code if task.planned_room and not task.self_service else None
    station = NO_STATION if room is None else (task.planned_station or 0)
    return sequencing.Placement(
        pid, task.key, room, station, day.minute(start), max(day.minute(end), day.minute(start) + 1)
    )


class _RouterWalking:
    """Seconds between rooms from the site's router, per mobility profile, cached per closure state."""

    def __init__(self, router, fallback: sequencing.StraightLineWalking, rooms: list[str]):
        self.router = router
        self.fallback = fallback
        self.rooms = [r for r in rooms if r in router.graph.index]
        self.matrices: dict[str, dict[str, dict[str, float]]] = {}

    def __call__(self, a: str, b: str, mobility: sequencing.Mobility) -> float:
        profile = mobility.value
        if profile not in self.matrices:
            self.matrices[profile] = self.router.walking_matrix(profile, self.rooms)
        seconds = self.matrices[profile].get(a, {}).get(b)
        if seconds is None or math.isinf(seconds):
            return self.fallback(a, b, mobility)
        return seconds


def _walking(
    session: Session, site: Site, rooms: Iterable[sequencing.Room]
) -> tuple[sequencing.WalkingTime, str | None]:
    rooms = list(rooms)
    fallback = sequencing.StraightLineWalking.for_rooms(rooms)
    try:
        router = routing.router_for(session, site)
    except DomainError:  # no map loaded yet: plan with estimates rather than not at all
        return fallback, None
    entrance = routing.main_entrance(router)
    places = [r.code for r in rooms] + ([entrance] if entrance else [])
    return _RouterWalking(router, fallback, places), entrance
