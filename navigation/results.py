"""Results: an exam's report exists once staff mark it ready (or, in the demo, once its
catalog turnaround has passed). Until then "collect your reports" is neither offered nor
announced, whatever the plan estimated."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import audit, progress
from navigation.errors import Conflict
from navigation.journeys import task_of
from navigation.models import Journey, JourneyStatus, Site, StaffUser, Task, TaskDependency, TaskStatus
from navigation.task_states import refresh_readiness


def mark_result_ready(
    session: Session, journey: Journey, task_id: int, actor: StaffUser, now: datetime
) -> Task:
    """Staff (or the lab's system) say this exam's results are out: its report may be collected."""
    task = task_of(journey, task_id)
    if not any(d.before_id == task.id and d.after.kind == "report" for d in journey.dependencies):
        raise Conflict(f"step '{task.name_en}' has no report to collect", field="task_id")
    if task.status != TaskStatus.COMPLETED:
        raise Conflict(f"step '{task.name_en}' is {task.status.value}: no result yet", field="task_id")
    if task.result_ready_at is None:
        task.result_ready_at = now
        audit.record(
            session,
            actor,
            "task.result_ready",
            "task",
            task.id,
            site_id=journey.site_id,
            now=now,
            journey_id=journey.id,
        )
        progress.advanced(session, journey, refresh_readiness(journey, now), now)
    return task


def release_due_results(session: Session, site: Site, now: datetime) -> int:
    """The demo hospital has no lab system: each finished exam's results are ready when its
    turnaround has passed. Returns how many became ready; the caller commits."""
    due = session.scalars(
        sa.select(TaskDependency)
        .join(Journey, Journey.id == TaskDependency.journey_id)
        .join(Task, Task.id == TaskDependency.before_id)
        .where(
            Journey.site_id == site.id,
            Journey.status == JourneyStatus.ACTIVE,
            Task.status == TaskStatus.COMPLETED,
            Task.result_ready_at.is_(None),
        )
    ).all()
    journeys: dict[int, Journey] = {}
    ready = 0
    for dep in due:
        at = dep.before.completed_at + timedelta(minutes=dep.min_gap_min) if dep.before.completed_at else None
        if dep.after.kind == "report" and at is not None and at <= now and dep.before.result_ready_at is None:
            dep.before.result_ready_at = at
            journeys[dep.journey_id] = dep.journey
            ready += 1
    for journey in journeys.values():
        progress.advanced(session, journey, refresh_readiness(journey, now), now)
    return ready
