"""Earliest-start insertion: the first-come-first-served planner and the always-feasible fallback.

Each task, in the given order, goes to the eligible room and station where it can start
earliest (filling gaps), after the previous task plus walking, its rule gaps and its fasting
window. This is the FCFS baseline the simulator compares against, and the plan every solve
falls back on when CP-SAT finds nothing in time.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence

from navigation.sequencing.model import (
    NO_STATION,
    DayState,
    Patient,
    Placement,
    Task,
    Unplaced,
)
from navigation.sequencing.prepare import (
    Position,
    earliest_in_windows,
    empty_visit,
    fasting_lower_bound,
    hhmm,
    planned_max_gap,
    position,
    screen,
    service_windows,
    task_location,
    walk_min,
)


class Timelines:
    """Busy intervals per room station, with opening windows minus closures."""

    def __init__(self, state: DayState, rooms: Iterable[str] | None = None, skip: Iterable[str] = ()):
        codes = set(state.rooms) if rooms is None else set(rooms)
        skipped = set(skip)
        self.windows = {c: state.open_windows(state.rooms[c]) for c in codes}
        self.starts: dict[str, list[list[int]]] = {
            c: [[] for _ in range(state.rooms[c].stations)] for c in codes
        }
        self.ends: dict[str, list[list[int]]] = {
            c: [[] for _ in range(state.rooms[c].stations)] for c in codes
        }
        for (pid, _), p in state.plan.placements.items():
            if p.room in codes and p.station >= 0 and pid not in skipped and p.end > state.now:
                self.add(p.room, p.station, p.start, p.end)

    def add(self, room: str, station: int, start: int, end: int) -> None:
        if room not in self.starts or station < 0:
            return
        station = min(station, len(self.starts[room]) - 1)
        i = bisect_right(self.starts[room][station], start)
        self.starts[room][station].insert(i, start)
        insort(self.ends[room][station], end)

    def earliest(self, room: str, t: int, duration: int) -> tuple[int, int] | None:
        best: tuple[int, int] | None = None
        for station in range(len(self.starts[room])):
            s = self._earliest_on(room, station, t, duration)
            if s is not None and (best is None or s < best[0]):
                best = (s, station)
        return best

    def _earliest_on(self, room: str, station: int, t: int, duration: int) -> int | None:
        starts, ends = self.starts[room][station], self.ends[room][station]
        for a, b in self.windows[room]:
            s = max(t, a)
            i = bisect_right(ends, s)
            while s + duration <= b:
                if i >= len(starts) or starts[i] >= s + duration:
                    return s
                s = max(s, ends[i])
                i += 1
        return None


def place_in_order(
    state: DayState,
    timelines: Timelines,
    patient: Patient,
    order: Sequence[Task],
) -> tuple[list[Placement], list[Unplaced]]:
    """Place the patient's not-started tasks in this order; does not touch the timelines."""
    pos = position(state, patient)
    reasons = screen(state, patient, pos.ready)
    extra_lb: dict[str, int] = {}
    for _ in range(4):
        placed, unplaced, retry = _attempt(state, timelines, patient, order, pos, reasons, extra_lb)
        if not retry:
            return placed, unplaced
    return placed, unplaced


def _attempt(
    state: DayState,
    timelines: Timelines,
    patient: Patient,
    order: Sequence[Task],
    pos: Position,
    reasons: dict[str, str],
    extra_lb: dict[str, int],
) -> tuple[list[Placement], list[Unplaced], bool]:
    done = {p.task: p for p in state.plan.of_patient(patient.id) if (patient.id, p.task) in state.started}
    placed: dict[str, Placement] = {}
    unplaced: list[Unplaced] = [Unplaced(patient.id, k, r) for k, r in reasons.items()]
    failed = set(reasons)
    cur, loc = pos.ready, pos.location
    for task in order:
        if task.key in done or task.key in failed:
            continue
        lb = max(cur, extra_lb.get(task.key, 0), fasting_lower_bound(patient, task) or 0)
        blocked = None
        for rule in patient.rules:
            if rule.after != task.key:
                continue
            before = placed.get(rule.before) or done.get(rule.before)
            if before is not None:
                lb = max(lb, before.end + rule.min_gap_min)
            elif rule.hard and rule.before in failed:
                blocked = rule
        empty = empty_visit(patient, task, failed)
        if blocked is not None or empty is not None:
            failed.add(task.key)
            why = empty or f"needs {blocked.before if blocked else ''} first, which cannot be done today"
            unplaced.append(Unplaced(patient.id, task.key, why))
            continue
        sitting = next(
            (q.room for q in placed.values() if task.full_bladder and patient.task(q.task).full_bladder),
            None,
        )
        choice = _best_slot(state, timelines, patient, task, lb, loc, sitting)
        if choice is None:
            failed.add(task.key)
            unplaced.append(
                Unplaced(
                    patient.id,
                    task.key,
                    f"no free {'/'.join(task.room_types) or 'time'} slot after {hhmm(lb)} today",
                )
            )
            continue
        room, station, start = choice
        duration = task.duration_in(state.rooms[room].room_type if room else None)
        placement = Placement(patient.id, task.key, room, station, start, start + duration)
        placed[task.key] = placement
        for rule in patient.rules:
            if rule.after == task.key and rule.max_gap_min is not None and rule.before in placed:
                before = placed[rule.before]
                limit = planned_max_gap(rule.max_gap_min)
                if start > before.end + limit and rule.before not in done:
                    extra_lb[rule.before] = start - limit - (before.end - before.start)
                    return list(placed.values()), unplaced, True
        cur = placement.end
        if room is not None and not task.location_neutral:
            loc = room
    return list(placed.values()), unplaced, False


def _best_slot(
    state: DayState,
    timelines: Timelines,
    patient: Patient,
    task: Task,
    lb: int,
    loc: str | None,
    only_room: str | None = None,
) -> tuple[str | None, int, int] | None:
    rooms = task_location(state, task)
    if task.self_service:
        where = rooms[0] if rooms else None
        walk = walk_min(state, loc, where.code if where else None, patient)
        start = earliest_in_windows(service_windows(state, task), lb + walk, task.duration_min)
        return None if start is None else (where.code if where else None, NO_STATION, start)
    best: tuple[str | None, int, int] | None = None
    best_key: tuple[int, int] | None = None
    pinned = state.pinned_rooms.get((patient.id, task.key)) or only_room
    for room in rooms or []:
        if pinned is not None and room.code != pinned:
            continue
        duration = task.duration_in(room.room_type)
        slot = timelines.earliest(room.code, lb + walk_min(state, loc, room.code, patient), duration)
        if slot is None:
            continue
        key = (slot[0], slot[0] + duration)
        if best_key is None or key < best_key:
            best, best_key = (room.code, slot[1], slot[0]), key
    return best


def insert_patient(
    state: DayState, patient: Patient, order: Sequence[Task] | None = None
) -> tuple[list[Placement], list[Unplaced]]:
    """FCFS: plan one patient around everyone else, write it into the plan, return it."""
    from navigation.sequencing.prepare import initial_order

    state.patients[patient.id] = patient
    types = _types(patient)
    rooms = {r.code for r in state.rooms.values() if r.room_type in types}
    timelines = Timelines(state, rooms, skip=[patient.id])
    _add_started(state, timelines, patient.id)
    placed, unplaced = place_in_order(state, timelines, patient, order or initial_order(patient))
    started = [p for p in state.plan.of_patient(patient.id) if (patient.id, p.task) in state.started]
    state.plan.set_patient(patient.id, [*started, *placed], unplaced)
    return placed, unplaced


def _types(patient: Patient) -> set[str]:
    return {t for task in patient.tasks for t in task.room_types}


def _add_started(state: DayState, timelines: Timelines, patient_id: str) -> None:
    for p in state.plan.of_patient(patient_id):
        if (patient_id, p.task) in state.started and p.room is not None and p.end > state.now:
            timelines.add(p.room, p.station, p.start, p.end)
