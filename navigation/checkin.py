"""Reception's check-in: a visit and its orders become the patient's medical task list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import audit, planning, progress
from navigation.access import new_salt
from navigation.booking.holds import arrive, told_last_meal
from navigation.catalog.variants import site_catalog
from navigation.departments import assign_departments, refuse_unknown_departments, serves_step
from navigation.errors import Conflict, DomainError, NotFound
from navigation.models import (
    Journey,
    JourneyOrder,
    Language,
    Mobility,
    Patient,
    Room,
    RoomStatus,
    Site,
    StaffUser,
    Task,
    TaskDependency,
    TaskStatus,
    TaskTransition,
)
from navigation.steps import Dependency, Step, StepPlan, expand_orders
from navigation.task_states import FINISHED, refresh_readiness
from notifications import Event

ROOM_BOUND_KINDS = {"exam", "blood_draw", "return_visit", "pickup"}


class AlreadyCheckedIn(Conflict):
    """The visit has its journey: reception reprints that one rather than checking in again."""

    def __init__(self, journey_id: int, visit_number: str):
        super().__init__(
            f"visit {visit_number} is already checked in (journey {journey_id}): reprint its slip",
            field="visit_number",
        )
        self.journey_id, self.visit_number = journey_id, visit_number


@dataclass(frozen=True)
class PatientDetails:
    mrn: str
    name: str
    language: Language
    mobility: Mobility
    last_meal_at: datetime | None = None
    fasting_confirmed: bool = False


def check_in(
    session: Session,
    *,
    site_code: str,
    visit_number: str,
    patient: PatientDetails,
    order_codes: Sequence[str],
    actor: StaffUser,
    now: datetime,
    on_file: Mapping[str, datetime] | None = None,
    priority: int = 0,
    departments: Mapping[str, str] | None = None,
) -> Journey:
    """Create the journey with its task list, in the caller's transaction (nothing is committed).
    `departments` maps an order's exam code to the department that placed it."""
    site = session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        raise NotFound(f"no site {site_code!r}", field="site")
    if actor.site_id is not None and actor.site_id != site.id:
        raise DomainError("you may check patients in only at your own site", field="site")
    duplicate = session.scalar(
        sa.select(Journey.id).where(Journey.site_id == site.id, Journey.visit_number == visit_number)
    )
    if duplicate is not None:
        raise AlreadyCheckedIn(duplicate, visit_number)
    _refuse_future_facts(patient, on_file or {}, now)
    catalog = site_catalog(session, site)
    departments = departments or {}
    rooms = usable_rooms(session, site.id)
    refuse_unknown_departments(rooms, departments, order_codes)
    plan = assign_departments(expand_orders(catalog, order_codes, on_file, now), departments)
    refuse_orders_without_room(plan, rooms, order_codes)
    day = now.astimezone(ZoneInfo(site.timezone)).date()
    last_meal_at = patient.last_meal_at
    if last_meal_at is None and patient.fasting_confirmed:  # fasted as the booking told them
        last_meal_at = told_last_meal(session, site, visit_number, day)

    journey = Journey(
        site=site,
        patient=upsert_patient(session, site, patient),
        visit_number=visit_number,
        priority=priority,
        token_salt=new_salt(),
        catalog_version=catalog.version,
        last_meal_at=last_meal_at,
        fasting_confirmed=patient.fasting_confirmed,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(journey)
    journey.orders.extend(
        JourneyOrder(site_id=site.id, exam_code=code, department=departments.get(code), received_at=now)
        for code in dict.fromkeys(order_codes)
    )
    _add_tasks(session, journey, plan, rooms, last_meal_at, actor, now)
    hint = arrive(session, site.id, visit_number, day, now, journey.id)
    moved = planning.plan_journey(session, journey, now, hint)
    refresh_readiness(journey, now)  # after planning: a step that cannot happen today holds back no meal
    progress.started(session, journey, now)
    if moved:  # the booked times did not hold: say so
        progress.notify(session, journey, Event.PLAN_CHANGED, now, moved[0])
    audit.record(
        session,
        actor,
        "journey.check_in",
        "journey",
        journey.id,
        site_id=site.id,
        now=now,
        visit_number=visit_number,
        orders=list(order_codes),
        added=plan.added,
    )
    return journey


def refuse_orders_without_room(plan: StepPlan, rooms: list[Room], order_codes: Sequence[str]) -> None:
    codes = list(order_codes)
    for step in plan.steps:
        if step.kind not in ROOM_BOUND_KINDS:
            continue
        if not any(serves_step(room, step) for room in rooms):
            code = next((c for c in step.exam_codes if c in codes), step.exam_codes[0])
            field = f"orders.{codes.index(code)}.code" if code in codes else "orders"
            raise DomainError(f"no open room at this hospital performs {code}", field=field)


def upsert_patient(session: Session, site: Site, details: PatientDetails) -> Patient:
    patient = session.scalar(sa.select(Patient).where(Patient.site_id == site.id, Patient.mrn == details.mrn))
    if patient is None:
        patient = Patient(site_id=site.id, mrn=details.mrn)
        session.add(patient)
    patient.name, patient.language, patient.mobility = details.name, details.language, details.mobility
    return patient


def _add_tasks(
    session: Session,
    journey: Journey,
    plan: StepPlan,
    rooms: list[Room],
    last_meal_at: datetime | None,
    actor: StaffUser,
    now: datetime,
) -> None:
    load = room_load(session, [r.id for r in rooms])
    by_key: dict[str, Task] = {}
    for position, step in enumerate(plan.steps):
        task = new_task(step, position, rooms, load, last_meal_at, f"staff:{actor.id}", now)
        journey.tasks.append(task)
        by_key[step.key] = task
    session.flush()
    for dep in plan.dependencies:
        journey.dependencies.append(dependency_row(dep, by_key))
    session.flush()


def usable_rooms(session: Session, site_id: int) -> list[Room]:
    return list(
        session.scalars(sa.select(Room).where(Room.site_id == site_id, Room.status != RoomStatus.CLOSED))
    )


def new_task(
    step: Step,
    position: int,
    rooms: list[Room],
    load: dict[int, int],
    last_meal_at: datetime | None,
    actor: str,
    now: datetime,
) -> Task:
    """A step of the plan as a task row, requested, with a first room suggestion."""
    task = Task(
        position=position,
        key=step.key,
        status=TaskStatus.REQUESTED,
        planned_room=_least_loaded_room(step, rooms, load),
        not_before=_fasting_until(step, last_meal_at, now),
    )
    describe_task(task, step)
    task.transitions.add(
        TaskTransition(from_status=None, to_status=TaskStatus.REQUESTED.value, actor=actor, at=now)
    )
    return task


def describe_task(task: Task, step: Step) -> None:
    """What the step is: its exams, names, rooms and preparation (a revised order list may change them)."""
    task.kind = step.kind
    task.exam_codes = list(step.exam_codes)
    task.name_en, task.name_zh = step.name_en, step.name_zh
    task.room_types = list(step.room_types)
    task.duration_min = step.duration_min
    task.room_durations = dict(step.room_durations)
    task.fasting_hours = step.fasting_hours
    task.full_bladder = step.full_bladder
    task.self_service = step.self_service
    task.department = step.department


def dependency_row(dep: Dependency, by_key: Mapping[str, Task]) -> TaskDependency:
    return TaskDependency(
        before=by_key[dep.before],
        after=by_key[dep.after],
        min_gap_min=dep.min_gap_min,
        max_gap_min=dep.max_gap_min,
        reason=dep.reason,
        hard=dep.hard,
    )


def _refuse_future_facts(patient: PatientDetails, on_file: Mapping[str, datetime], now: datetime) -> None:
    """A result or a meal dated in the future would silently change the plan (a kidney test
    "on file" tomorrow would drop today's before the contrast CT)."""
    for code, taken_at in on_file.items():
        if taken_at > now:
            raise DomainError(f"the {code} result on file is dated in the future", field="on_file")
    if patient.last_meal_at is not None and patient.last_meal_at > now:
        raise DomainError("the last meal cannot be in the future", field="patient.last_meal_at")


def _fasting_until(step: Step, last_meal_at: datetime | None, now: datetime) -> datetime | None:
    if not step.fasting_hours or last_meal_at is None:
        return None
    until = last_meal_at + timedelta(hours=step.fasting_hours)
    return until if until > now else None


def room_load(session: Session, room_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        sa.select(Task.planned_room_id, sa.func.count())
        .where(Task.planned_room_id.in_(room_ids), Task.status.not_in(list(FINISHED)))
        .group_by(Task.planned_room_id)
    )
    return {room_id: count for room_id, count in rows}


def _least_loaded_room(step: Step, rooms: list[Room], load: dict[int, int]) -> Room | None:
    """A first room suggestion per step; the sequencer replaces it with a planned slot."""
    eligible = [r for r in rooms if serves_step(r, step) and r.status == RoomStatus.OPEN]
    if not eligible:
        return None
    room = min(eligible, key=lambda r: (load.get(r.id, 0) / r.stations, r.code))
    load[room.id] = load.get(room.id, 0) + 1
    return room
