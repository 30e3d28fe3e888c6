"""Orders that change after check-in: the hospital adds an exam or cancels one.

Steps already started, queued for or finished stay as they are; the rest of the task list is
rebuilt from the journey's active orders with the same rules as at check-in (one blood draw
for every blood test, a kidney test before contrast CT...), a step no order needs any more is
cancelled, and the patient's day is re-planned around everyone else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from navigation import planning, progress
from navigation.catalog.store import catalog_version
from navigation.checkin import dependency_row, describe_task, new_task, room_load, usable_rooms
from navigation.departments import assign_departments, departments_of
from navigation.models import Journey, JourneyStatus, OrderStatus, Task, TaskStatus
from navigation.steps import StepPlan, expand_orders
from navigation.task_states import refresh_readiness, transition
from notifications import Event

CANCELLED_REASON = "the order was cancelled"


def changeable(task: Task) -> bool:
    """Not started: still requested or ready, and not in any room's line."""
    return task.status in (TaskStatus.REQUESTED, TaskStatus.READY) and task.business_status in (
        None,
        "waiting",
    )


def revise_orders(session: Session, journey: Journey, actor: str, now: datetime) -> list[Task]:
    """Bring the not-yet-started steps in line with the journey's active orders and re-plan.
    Returns the steps cancelled."""
    kept = [t for t in journey.tasks if not changeable(t)]
    pending = {t.key: t for t in journey.tasks if changeable(t)}
    done = {t.key for t in kept if t.status != TaskStatus.CANCELLED}
    underway = {code for t in kept if t.status != TaskStatus.CANCELLED for code in t.exam_codes}
    wanted = list(
        dict.fromkeys(
            o.exam_code
            for o in journey.orders
            if o.status == OrderStatus.ACTIVE and o.exam_code not in underway
        )
    )
    catalog = catalog_version(session, journey.catalog_version)
    on_file = {code: t.completed_at for t in kept for code in t.exam_codes if t.completed_at}
    plan = expand_orders(catalog, wanted, on_file, now) if wanted else StepPlan([], [])
    plan = assign_departments(plan, departments_of(journey))

    rooms = usable_rooms(session, journey.site_id)
    load = room_load(session, [r.id for r in rooms])
    by_key: dict[str, Task] = {t.key: t for t in kept}
    ordered: list[Task] = sorted(kept, key=lambda t: t.position)
    for step in plan.steps:
        if step.key in done and not step.exam_codes:
            continue  # a payment or meal already behind the patient is not asked again
        key = _free_key(step.key, by_key) if step.key in by_key else step.key
        task = pending.pop(key, None)
        if task is None:
            task = new_task(step, 0, rooms, load, journey.last_meal_at, actor, now)
            task.key = key
            journey.tasks.append(task)
        else:
            describe_task(task, step)
        by_key[step.key] = task
        ordered.append(task)
    cancelled = list(pending.values())
    for task in cancelled:
        transition(task, TaskStatus.CANCELLED, actor=actor, now=now, reason=CANCELLED_REASON)
        ordered.append(task)
    for position, task in enumerate(ordered):
        task.position = position
    _relink(session, journey, plan, by_key, rebuilt=set(by_key.values()) - set(kept))
    _replan(session, journey, now)
    return cancelled


def _free_key(key: str, taken: dict[str, Task]) -> str:
    n = 2
    while f"{key}-{n}" in taken:
        n += 1
    return f"{key}-{n}"


def _relink(
    session: Session, journey: Journey, plan: StepPlan, by_key: dict[str, Task], rebuilt: set[Task]
) -> None:
    """The rebuilt steps' dependencies come from the new plan; links to a step already done are
    dropped (that prerequisite is met) and so are links of cancelled steps."""
    session.flush()
    for dep in list(journey.dependencies):
        touched = dep.before in rebuilt or dep.after in rebuilt
        if touched or TaskStatus.CANCELLED in (dep.before.status, dep.after.status):
            journey.dependencies.remove(dep)
            session.delete(dep)
    for link in plan.dependencies:
        if by_key.get(link.before) in rebuilt and by_key.get(link.after) in rebuilt:
            journey.dependencies.append(dependency_row(link, by_key))
    session.flush()


def _replan(session: Session, journey: Journey, now: datetime) -> None:
    if all(t.status == TaskStatus.CANCELLED for t in journey.tasks):
        journey.status, journey.completed_at = JourneyStatus.CANCELLED, now
        progress.journey_changed(session, journey, now)
        return
    planning.resequence_journey(session, journey, now)
    progress.notify(session, journey, Event.PLAN_CHANGED, now)
    progress.advanced(session, journey, refresh_readiness(journey, now), now)
