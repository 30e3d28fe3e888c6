"""What is left to plan for a patient, where they are, and which tasks cannot happen today."""

from __future__ import annotations

import math
from dataclasses import dataclass

from navigation.sequencing.model import DAY_END, DayState, Patient, Room, Rule, Task

MAX_GAP_MARGIN_MIN = 20  # plans keep this in hand on "at most N min after" rules

# Steps that only make sense after at least one of the steps they follow: collecting reports
# with no exam done, a return visit with no result, a pickup without the doctor's visit.
FOLLOW_ON = {
    "report": "no exam with a report can be done today, so there is nothing to collect",
    "return_visit": "none of the results the doctor reviews can be ready today",
    "pickup": "the return visit that settles the prescription cannot happen today",
}


PREPARATION_KINDS = ("payment", "water", "meal")


def visit_purpose(patient: Patient, task: Task) -> set[str]:
    """The steps a report, return visit or pickup is for (empty for any other step)."""
    if task.kind not in FOLLOW_ON:
        return set()
    kinds = {t.key: t.kind for t in patient.tasks}
    return {
        r.before
        for r in patient.rules
        if r.after == task.key and kinds.get(r.before) not in PREPARATION_KINDS
    }


def empty_visit(patient: Patient, task: Task, lost: set[str] | frozenset[str]) -> str | None:
    """Why `task` would be an empty visit when every step in `lost` cannot happen, or None."""
    purpose = visit_purpose(patient, task)
    return FOLLOW_ON[task.kind] if purpose and purpose <= lost else None


def planned_max_gap(max_gap_min: int) -> int:
    """A late exam must not break a maximum gap: plan with a margin."""
    return max(0, max_gap_min - MAX_GAP_MARGIN_MIN)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def walk_min(state: DayState, a: str | None, b: str | None, patient: Patient) -> int:
    if a is None or b is None or a == b:
        return 0
    return math.ceil(state.walking(a, b, patient.mobility) / 60.0)


@dataclass
class Position:
    ready: int  # the patient is free from this minute
    location: str | None  # room code they are in (None: unknown / anywhere)
    done_end: int  # end of the last started task (or arrival)


def position(state: DayState, patient: Patient) -> Position:
    ready, location, last = patient.arrival_min, patient.entrance, patient.arrival_min
    for p in state.plan.of_patient(patient.id):
        if (patient.id, p.task) not in state.started:
            continue
        if p.end >= last:
            last = p.end
            if p.room is not None:
                location = p.room
    ready = max(ready, last, state.now)
    return Position(ready, location, last)


def task_location(state: DayState, task: Task) -> list[Room] | None:
    """Rooms the task can use; None when it can be done wherever the patient is."""
    if task.location_neutral:
        return None
    rooms = eligible_rooms(state, task)
    if task.self_service:
        return rooms[:1] or None
    return rooms


def eligible_rooms(state: DayState, task: Task) -> list[Room]:
    """Rooms of the task's types, narrowed to its own list when it has one."""
    return [
        r
        for r in state.rooms.values()
        if r.room_type in task.room_types and (task.only_rooms is None or r.code in task.only_rooms)
    ]


def service_windows(state: DayState, task: Task) -> list[tuple[int, int]]:
    """When a self-service step can be done: while its desk is open, even when it can be done
    anywhere (paying by phone, eating), so nobody is told to pay or eat "now" after the
    hospital has closed. A step with no desk in this hospital can be done at any time."""
    desk = next((r for r in state.rooms.values() if r.room_type in task.room_types), None)
    if desk is None:
        return [(0, DAY_END)]
    return list(desk.windows) if task.location_neutral else state.open_windows(desk)


def fasting_lower_bound(patient: Patient, task: Task) -> int | None:
    """Earliest start that keeps the fasting rule; None if the last meal is unknown."""
    if task.fasting_hours <= 0:
        return 0
    since = patient.fasting_since()
    if since is None:
        return None
    return since + math.ceil(task.fasting_hours * 60)


def todo(state: DayState, patient: Patient) -> list[Task]:
    return [t for t in patient.tasks if (patient.id, t.key) not in state.started]


def fits_somewhere(state: DayState, room: Room, earliest: int, duration: int) -> bool:
    return fits_in(state.open_windows(room), earliest, duration)


def fits_in(windows: list[tuple[int, int]], earliest: int, duration: int) -> bool:
    return any(max(a, earliest) + duration <= b for a, b in windows if b <= DAY_END)


def screen(state: DayState, patient: Patient, ready: int) -> dict[str, str]:
    """Tasks that cannot be planned today, with the reason a nurse can act on."""
    tasks = {t.key: t for t in todo(state, patient)}
    reasons: dict[str, str] = {}
    for key in _cycle_members(patient.rules, set(tasks)):
        reasons[key] = "the rules for these orders contradict each other (a cycle); check the orders"
    for key, task in tasks.items():
        if key in reasons:
            continue
        lb = fasting_lower_bound(patient, task)
        if lb is None:
            reasons[key] = (
                f"needs {task.fasting_hours:g} h fasting, the last meal is unknown and the "
                "patient has not confirmed fasting since the night before"
            )
            continue
        earliest = max(ready, lb)
        if task.self_service:
            if not fits_in(service_windows(state, task), earliest, task.duration_min):
                reasons[key] = (
                    f"no {'/'.join(task.room_types)} is open for {task.duration_min} min "
                    f"after {hhmm(earliest)} today"
                )
            continue
        rooms = eligible_rooms(state, task)
        if not rooms:
            reasons[key] = f"no room of type {'/'.join(task.room_types)} in this hospital"
            continue
        if not any(fits_somewhere(state, r, earliest, task.duration_in(r.room_type)) for r in rooms):
            fast = f", when the {task.fasting_hours:g} h fast ends" if lb > ready else ""
            reasons[key] = (
                f"no {'/'.join(task.room_types)} room is open for {task.duration_min} min "
                f"after {hhmm(earliest)} today{fast}"
            )
    for rule in patient.rules:
        if rule.before in tasks and (patient.id, rule.after) in state.started:
            reasons.setdefault(rule.before, f"must come before {rule.after}, which has already started")
    _await_fasting_answer(patient, tasks, reasons)
    _propagate(patient, tasks, reasons)
    return reasons


def _await_fasting_answer(patient: Patient, tasks: dict[str, Task], reasons: dict[str, str]) -> None:
    """A fasting step set aside only until the patient says when they last ate may still
    happen today: what follows it, even only in order (the meal, the reports, the return
    visit), waits for the answer too, so no meal is planned before a fast that may be kept."""
    waiting = {k for k, t in tasks.items() if fasting_lower_bound(patient, t) is None}
    changed = True
    while changed:
        changed = False
        for rule in patient.rules:
            if rule.before in waiting and rule.after in tasks and rule.after not in reasons:
                reasons[rule.after] = (
                    f"follows {rule.before}, which waits for the patient's answer about fasting"
                )
                waiting.add(rule.after)
                changed = True


def _propagate(patient: Patient, tasks: dict[str, Task], reasons: dict[str, str]) -> None:
    changed = True
    while changed:
        changed = False
        for rule in patient.rules:
            blocked = rule.hard and rule.before in reasons and rule.after in tasks
            if blocked and rule.after not in reasons:
                reasons[rule.after] = (
                    f"needs {rule.before} first ({rule.reason or 'rule'}), which cannot be done today"
                )
                changed = True
        for key, task in tasks.items():
            empty = None if key in reasons else empty_visit(patient, task, set(reasons))
            if empty is not None:
                reasons[key] = empty
                changed = True


def _cycle_members(rules: tuple[Rule, ...], keys: set[str]) -> set[str]:
    graph: dict[str, list[str]] = {k: [] for k in keys}
    for r in rules:
        if r.before in keys and r.after in keys:
            graph[r.before].append(r.after)
    members: set[str] = set()
    for start in keys:
        stack, seen = list(graph[start]), set()
        while stack:
            node = stack.pop()
            if node == start:
                members.add(start)
                break
            if node not in seen:
                seen.add(node)
                stack.extend(graph[node])
    return members


def precedence_closure(rules: tuple[Rule, ...], keys: set[str]) -> set[tuple[str, str]]:
    """All (a, b) where a must come before b, directly or through a chain of rules."""
    graph: dict[str, set[str]] = {k: set() for k in keys}
    for r in rules:
        if r.before in keys and r.after in keys:
            graph[r.before].add(r.after)
    closure: set[tuple[str, str]] = set()
    for start in keys:
        stack, seen = list(graph[start]), set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            closure.add((start, node))
            stack.extend(graph[node])
    return closure


def initial_order(patient: Patient, preferred: dict[str, int] | None = None) -> list[Task]:
    """The given (or preferred) order, made to respect every rule and group full-bladder exams."""
    keys = [t.key for t in patient.tasks]
    if preferred is not None:
        rank = {k: i for i, k in enumerate(keys)}
        keys.sort(key=lambda k: (preferred.get(k, 10**6), rank[k]))
    closure = precedence_closure(patient.rules, set(keys))
    order: list[str] = []
    remaining = list(keys)
    while remaining:
        pick = next(
            (k for k in remaining if not any((o, k) in closure for o in remaining if o != k)),
            remaining[0],
        )
        order.append(pick)
        remaining.remove(pick)
    bladder = [k for k in order if patient.task(k).full_bladder]
    if len(bladder) > 1:
        grouped = [k for k in order if k not in bladder[1:]]
        at = grouped.index(bladder[0]) + 1
        grouped[at:at] = bladder[1:]
        if all(grouped.index(a) < grouped.index(b) for a, b in closure if a in keys and b in keys):
            order = grouped
    return [patient.task(k) for k in order]


def earliest_in_windows(windows: list[tuple[int, int]], t: int, duration: int) -> int | None:
    for a, b in sorted(windows):
        s = max(a, t)
        if s + duration <= b:
            return s
    return None
