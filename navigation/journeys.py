"""What a patient does with their own journey: read it, finish self-service steps, say "I'm here"."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from navigation import planning, progress
from navigation.errors import Conflict, DomainError, NotFound
from navigation.models import Floor, Journey, Room, Task, TaskStatus
from navigation.queues.lines import join
from navigation.queues.notify import announce
from navigation.task_states import refresh_readiness, refuse_early, transition
from notifications import Event, mark_seen

ARRIVE_EARLY = timedelta(minutes=10)  # a patient may wait at the door this long before their step can begin


def load_for_reading(session: Session, journey_id: int) -> Journey:
    """The journey with everything its view shows, in two queries whatever the number of
    steps: the journey, its site, patient and steps with their rooms, floors and buildings
    joined in one; its step dependencies in the other. (The phone asks every few seconds.)"""
    room = joinedload(Journey.tasks).joinedload(Task.planned_room)
    return (
        session.scalars(
            sa.select(Journey)
            .where(Journey.id == journey_id)
            .options(
                joinedload(Journey.site),
                joinedload(Journey.patient),
                room.joinedload(Room.floor).joinedload(Floor.building),
                selectinload(Journey.dependencies),
                joinedload(Journey.orders),  # the doctor's instructions, in the first query
            )
        )
        .unique()
        .one()
    )


def task_of(journey: Journey, task_id: int) -> Task:
    task = next((t for t in journey.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound(f"journey {journey.id} has no step {task_id}", field="task_id")
    return task


def complete_self_service(
    session: Session, journey: Journey, task_id: int, now: datetime, actor: str = "patient"
) -> Task:
    """The patient paid, ate, drank their water or collected a report (`actor`: who says so,
    the patient or `staff:<id>` acting for them)."""
    task = task_of(journey, task_id)
    if not task.self_service:
        raise Conflict(f"step '{task.name_en}' is completed by staff, not by the patient", field="task_id")
    refuse_early(task, now)
    transition(task, TaskStatus.COMPLETED, actor=actor, now=now, business_status="done")
    progress.advanced(session, journey, refresh_readiness(journey, now), now)
    return task


def arrive(
    session: Session, journey: Journey, task_id: int, now: datetime, room_code: str | None = None
) -> Task:
    """The patient is at the room for this step and joins its queue (told where to go if not)."""
    task = task_of(journey, task_id)
    if task.self_service:
        raise Conflict(f"step '{task.name_en}' has no queue to join", field="task_id")
    if task.status not in (TaskStatus.READY, TaskStatus.REQUESTED):
        raise Conflict(
            f"step '{task.name_en}' is {task.status.value}, not ready for you yet", field="task_id"
        )
    refuse_early(task, now, slack=ARRIVE_EARLY)
    mark_seen(session, journey.id, now)  # "I'm here": no call of theirs needs escalating
    change = join(session, task, now, room_code=room_code)
    announce(session, change.journey_ids, change.room_ids, now)  # nurses' screens and the phone reload
    return task


def report_fasting(
    session: Session, journey: Journey, now: datetime, last_meal_at: datetime | None
) -> list[Task]:
    """The patient answers the fasting question on the phone: nothing since last night
    (`last_meal_at` None) or the time they last ate. Their day is re-planned around it."""
    if last_meal_at is not None and last_meal_at > now:
        raise DomainError("the last meal cannot be in the future", field="last_meal_at")
    if last_meal_at is None:
        journey.fasting_confirmed = True
    else:
        journey.last_meal_at = last_meal_at
    changed = planning.resequence_journey(session, journey, now)
    if changed:
        progress.notify(session, journey, Event.PLAN_CHANGED, now)
    # an answer may free steps that waited on it (the meal, once a fasting test is off today)
    progress.advanced(session, journey, refresh_readiness(journey, now), now)
    return changed
