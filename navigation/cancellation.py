"""Staff take a step off a patient's day, or close the visit, with a reason: the patient leaves
any line for it, the day is re-planned and the patient is told; both are audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from navigation import audit, progress
from navigation.errors import Conflict
from navigation.journeys import task_of
from navigation.models import EntryStatus, Journey, JourneyStatus, StaffUser, Task, TaskStatus
from navigation.queues import notify
from navigation.queues.lines import (
    TURN_SOON_AHEAD,
    QueueChange,
    active_entry,
    lock_queues,
    record,
    snapshot,
)
from navigation.replanning import replan_and_tell
from navigation.task_states import FINISHED, refresh_readiness, transition
from notifications import Event


def cancel_step(
    session: Session, journey: Journey, task_id: int, reason: str, *, actor: StaffUser, now: datetime
) -> Task:
    """Cancel one step (the order was withdrawn, the exam is done elsewhere...). A step another
    open step needs (the kidney test before a contrast CT) is refused: cancel that one first."""
    _refuse_closed(journey)
    task = task_of(journey, task_id)
    if task.status in FINISHED:
        raise Conflict(f"step '{task.name_en}' is already {task.status.value}", field="task_id")
    needing = [
        d.after.name_en
        for d in journey.dependencies
        if d.before_id == task.id and d.hard and d.after.status not in FINISHED
    ]
    if needing:
        raise Conflict(
            f"step '{needing[0]}' needs '{task.name_en}' first: cancel it before this one", field="task_id"
        )
    change = _withdraw(session, task, reason, actor, now)
    audit.record(
        session,
        actor,
        "journey.step.cancel",
        "task",
        task.id,
        site_id=journey.site_id,
        now=now,
        reason=reason,
    )
    replan_and_tell(session, journey.site, {journey.id}, now)
    progress.notify(session, journey, Event.PLAN_CHANGED, now)
    progress.advanced(session, journey, refresh_readiness(journey, now), now)
    notify.announce(session, change.journey_ids | {journey.id}, change.room_ids, now)
    return task


def close_journey(
    session: Session, journey: Journey, reason: str, *, actor: StaffUser, now: datetime
) -> Journey:
    """End the visit now (the patient went home, was admitted...): every open step is cancelled."""
    _refuse_closed(journey)
    change = QueueChange()
    for task in journey.tasks:
        if task.status not in FINISHED:
            withdrawn = _withdraw(session, task, reason, actor, now)
            change.journey_ids |= withdrawn.journey_ids
            change.room_ids |= withdrawn.room_ids
    journey.status, journey.completed_at = JourneyStatus.CANCELLED, now
    audit.record(
        session,
        actor,
        "journey.close",
        "journey",
        journey.id,
        site_id=journey.site_id,
        now=now,
        reason=reason,
    )
    progress.notify(session, journey, Event.JOURNEY_CLOSED, now)
    progress.journey_changed(session, journey, now)
    notify.announce(session, change.journey_ids | {journey.id}, change.room_ids, now)
    return journey


def _refuse_closed(journey: Journey) -> None:
    if journey.status != JourneyStatus.ACTIVE:
        raise Conflict(f"journey {journey.id} is already {journey.status.value}", field="journey_id")


def _withdraw(session: Session, task: Task, reason: str, actor: StaffUser, now: datetime) -> QueueChange:
    """Cancel the step and take the patient out of its line; the people behind move up."""
    change = QueueChange()
    entry = active_entry(session, task)
    if entry is not None:
        lock_queues(session, [entry.queue_id])
        session.refresh(entry)
        before = snapshot(entry)
        entry.status, entry.desk, entry.finished_at = EntryStatus.DONE, None, now
        record(session, change, entry.queue, entry, "cancel", actor, now, before=before, reason=reason)
        notify.turn_soon(session, entry.queue, now, TURN_SOON_AHEAD)
    transition(task, TaskStatus.CANCELLED, actor=f"staff:{actor.id}", now=now, reason=reason)
    return change
