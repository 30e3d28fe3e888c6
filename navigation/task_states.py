"""The task state machine (FHIR R4 Task.status) and the readiness rule between steps.

A step is `requested` while any step it depends on is unfinished; it becomes `ready` when
they are all done, with `not_before` set by the minimum gaps (a kidney result takes an hour).
Queue-level detail (waiting, called, no-show...) lives in `business_status`: a no-show is
not a failure, the patient may rejoin.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from navigation.errors import Conflict
from navigation.models import Journey, JourneyStatus, Task, TaskDependency, TaskStatus, TaskTransition

S = TaskStatus
ALLOWED: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.REQUESTED: frozenset({S.READY, S.CANCELLED}),
    S.READY: frozenset({S.IN_PROGRESS, S.COMPLETED, S.REQUESTED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.COMPLETED, S.FAILED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.FAILED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
}
FINISHED = frozenset({S.COMPLETED, S.CANCELLED, S.FAILED})
OPEN = frozenset({S.READY, S.IN_PROGRESS, S.ON_HOLD})
IN_LINE = frozenset({"arrived", "called", "in-service", "on-hold"})  # business statuses of a live ticket


def transition(
    task: Task,
    to: TaskStatus,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    business_status: str | None = None,
) -> None:
    """Move `task` to `to`, or raise Conflict naming why the move is illegal."""
    if to not in ALLOWED[task.status]:
        raise Conflict(
            f"step '{task.name_en}' is {task.status.value}; it cannot become {to.value}",
            field="status",
        )
    task.transitions.add(
        TaskTransition(
            from_status=task.status.value,
            to_status=to.value,
            business_status=business_status,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    task.status = to
    task.business_status = business_status
    task.status_reason, task.status_category = reason, None
    if to == S.IN_PROGRESS and task.started_at is None:
        task.started_at = now
    if to in FINISHED:
        task.completed_at = now


def mark(task: Task, business_status: str, *, actor: str, now: datetime, reason: str | None = None) -> None:
    """Change the queue-level status only (arrived, called...), keeping it in the history."""
    status = task.status.value
    task.transitions.add(
        TaskTransition(
            from_status=status,
            to_status=status,
            business_status=business_status,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    task.business_status = business_status


def refresh_readiness(journey: Journey, now: datetime) -> list[Task]:
    """Release the steps nothing holds back any more; returns the newly ready ones."""
    deps_of: dict[int, list] = {}
    for dep in journey.dependencies:
        deps_of.setdefault(dep.after_id, []).append(dep)
    released = []
    for task in journey.tasks:
        if task.status != S.REQUESTED:
            continue
        deps = deps_of.get(task.id, [])
        if any(_holds_back(d, journey) for d in deps):
            continue
        transition(task, S.READY, actor="system", now=now, business_status="waiting")
        released.append(task)
    for task in journey.tasks:
        if task.status in (S.REQUESTED, S.READY):
            at, _ = earliest_start(task)
            task.not_before = at if at is not None and at > now else None
    if all(t.status in FINISHED for t in journey.tasks) and journey.status == JourneyStatus.ACTIVE:
        journey.status = JourneyStatus.COMPLETED
        journey.completed_at = now
    return released


def earliest_start(task: Task) -> tuple[datetime | None, str]:
    """The soonest this step may begin and why: a result awaited after a finished step (the
    kidney result an hour after the draw), or the fast since the patient's last meal."""
    journey = task.journey
    limits = [
        (_awaited_until(d, done), d.reason)
        for d in journey.dependencies
        if d.after_id == task.id and d.before.status == S.COMPLETED and (done := d.before.completed_at)
    ]
    if task.fasting_hours > 0 and journey.last_meal_at is not None:
        fasted = journey.last_meal_at + timedelta(hours=task.fasting_hours)
        limits.append((fasted, f"{task.fasting_hours:g} h without food since the last meal"))
    return max(limits, key=lambda limit: limit[0], default=(None, ""))


def _awaited_until(dep: TaskDependency, done: datetime) -> datetime:
    """When what `dep.after` needs from the finished `dep.before` exists: its report, once
    ready (the catalog's turnaround is only the plan's estimate); else the rule's gap."""
    before = dep.before
    if dep.after.kind == "report" and before.result_ready_at is not None:
        return before.result_ready_at
    return done + timedelta(minutes=dep.min_gap_min)


def refuse_early(task: Task, now: datetime, slack: timedelta = timedelta(0)) -> None:
    """Refuse to let a step begin (arrival, call, start, done) before its prerequisites are
    met, saying why and from when, in the hospital's time."""
    if task.status == S.REQUESTED:
        waiting = next(
            (
                d
                for d in task.journey.dependencies
                if d.after_id == task.id and d.hard and d.before.status not in FINISHED
            ),
            None,
        )
        why = f": {waiting.reason} ('{waiting.before.name_en}' first)" if waiting else ""
        raise Conflict(f"'{task.name_en}' cannot begin yet{why}", field="task_id")
    at, reason = earliest_start(task)
    if at is not None and at > now + slack:
        raise Conflict(
            f"'{task.name_en}' can begin at {task.journey.site.hhmm(at)} at the earliest ({reason})",
            field="task_id",
        )


def _holds_back(dep: TaskDependency, journey: Journey) -> bool:
    """An unfinished step holds the next one back, unless it only orders them and cannot be
    done today (the meal need not wait for a fasting test that will not happen)."""
    before = dep.before
    if dep.after.kind == "report" and before.status == S.COMPLETED:
        return before.result_ready_at is None  # no report to collect before the results exist
    if before.status in FINISHED:
        return False
    return dep.hard or is_today(before)


def awaits_fasting_answer(journey: Journey) -> bool:
    """Fasting steps are still to do and the patient has not said when they last ate: until
    they answer, nobody knows which steps happen today, nor in which order."""
    unanswered = journey.last_meal_at is None and not journey.fasting_confirmed
    return unanswered and any(t.fasting_hours > 0 and t.status not in FINISHED for t in journey.tasks)


def next_step(journey: Journey) -> Task | None:
    """What the patient should do now: among the open steps, the one planned soonest (the
    plan may put a later step of the list first when its room is free); else the first still
    waiting. Steps that cannot be done today come last, so they never block the rest.

    A step the patient is in line for, or in the middle of, stays the next step whatever the
    plan says of the others: a patient moved to another room keeps following that line.
    While the fasting question is unanswered the next thing to do is to answer it (paying
    may come first): nothing else, since the answer decides the order of the day."""
    current = in_hand(journey)
    if current is not None:
        return current
    if awaits_fasting_answer(journey):
        return next((t for t in journey.tasks if t.kind == "payment" and t.status in OPEN), None)
    open_today = [t for t in journey.tasks if t.status in OPEN and is_today(t)]
    if open_today:
        return min(
            open_today,
            key=lambda t: (t.planned_start is None, t.planned_start or t.journey.created_at, t.position),
        )
    for wanted in (OPEN, frozenset({S.REQUESTED})):
        for today in (True, False):
            for task in journey.tasks:
                if task.status in wanted and is_today(task) == today:
                    return task
    return None


def in_hand(journey: Journey) -> Task | None:
    """The step the patient is in line for (or being served, or paused in), if any."""
    return next(
        (
            t
            for t in journey.tasks
            if t.status in OPEN and (t.status != S.READY or t.business_status in IN_LINE)
        ),
        None,
    )


def is_today(task: Task) -> bool:
    """Planned for today, or possibly today: set aside only until the fasting answer comes."""
    return task.plan_note is None or awaits_fasting_answer(task.journey)
