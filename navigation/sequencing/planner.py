"""The three ways the sequencer is used: check-in, background improvement, re-plan.

Every call is bounded by the time limit and worker count it is given and always leaves a
feasible plan in `state.plan`: CP-SAT improves on an earliest-start plan, never replaces
it with nothing.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from navigation.sequencing.cpsat import SubResult, solve_group
from navigation.sequencing.greedy import Timelines, place_in_order
from navigation.sequencing.model import (
    Closure,
    DayState,
    Patient,
    Placement,
    Plan,
    SolverSettings,
    TaskRef,
    Unplaced,
)
from navigation.sequencing.objective import plan_cost
from navigation.sequencing.prepare import (
    earliest_in_windows,
    fasting_lower_bound,
    initial_order,
    planned_max_gap,
    position,
    service_windows,
    walk_min,
)


@dataclass
class ArrivalResult:
    placements: list[Placement]
    unplaced: list[Unplaced]
    solver_status: str  # optimal | feasible | greedy (CP-SAT found nothing better in time)
    seconds: float


@dataclass
class ImproveResult:
    cost_before: int
    cost_after: int
    iterations: int
    improved: int
    seconds: float
    stopped: str = "time limit"  # or "converged": every movable patient solved together


@dataclass(frozen=True)
class RoomClosed:
    """A room pauses or closes between two times."""

    room: str
    start: int
    end: int


@dataclass(frozen=True)
class StepOverran:
    """A started step will end later than planned."""

    patient: str
    task: str
    new_end: int


@dataclass(frozen=True)
class PatientLeft:
    """A no-show or a patient who left: their remaining steps are cancelled."""

    patient: str
    reason: str = "the patient did not show up"


Event = RoomClosed | StepOverran | PatientLeft


@dataclass
class ReplanResult:
    moved_patients: list[str]
    touched_patients: list[str]  # the event's own patients and those whose bookings broke
    candidates: list[str]  # also allowed to move (to use freed time), against the stability cost
    cost_before: int
    cost_after: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def _fallback_group(state: DayState, group: list[str]) -> Plan:
    """Earliest-start plan of `group`, in the order of their current plan, others fixed."""
    trial = state.copy()
    rooms = {
        r.code
        for pid in group
        for t in state.patients[pid].tasks
        for r in state.rooms.values()
        if r.room_type in t.room_types
    }
    for pid in group:
        trial.plan.set_patient(pid, _started(state, pid), [])
    timelines = Timelines(trial, rooms)
    out = Plan()
    for pid in sorted(group, key=lambda p: state.patients[p].arrival_min):
        patient = state.patients[pid]
        current = {p.task: p.start for p in state.plan.of_patient(pid)}
        order = initial_order(patient, current or None)
        placed, unplaced = place_in_order(trial, timelines, patient, order)
        for p in placed:
            if p.room is not None:
                timelines.add(p.room, p.station, p.start, p.end)
        trial.plan.set_patient(pid, [*_started(state, pid), *placed], unplaced)
        out.set_patient(pid, [*_started(state, pid), *placed], unplaced)
    return out


def _started(state: DayState, pid: str) -> list[Placement]:
    return [p for ref, p in state.plan.placements.items() if ref[0] == pid and ref in state.started]


def _apply(state: DayState, group: list[str], result: SubResult | Plan) -> None:
    for pid in group:
        if isinstance(result, Plan):
            state.plan.set_patient(
                pid,
                [p for (q, _), p in result.placements.items() if q == pid],
                [u for (q, _), u in result.unplaced.items() if q == pid],
            )
        else:
            state.plan.set_patient(
                pid,
                [*_started(state, pid), *[p for p in result.placements if p.patient == pid]],
                [u for u in result.unplaced if u.patient == pid],
            )
    if isinstance(result, SubResult):
        for placement in result.restationed.values():
            state.plan.put(placement)


def _as_plan(state: DayState, group: list[str], result: SubResult) -> Plan:
    trial = Plan()
    for pid in group:
        trial.set_patient(
            pid,
            [*_started(state, pid), *[p for p in result.placements if p.patient == pid]],
            [u for u in result.unplaced if u.patient == pid],
        )
    return trial


def _solve_and_keep_best(
    state: DayState,
    group: list[str],
    settings: SolverSettings,
    reference: Plan | None,
    all_optional: bool,
    hint: Plan | None = None,
) -> tuple[bool, str]:
    """Solve `group` with CP-SAT; keep the result only if it beats the current plan."""
    current = Plan()
    for pid in group:
        current.set_patient(
            pid,
            state.plan.of_patient(pid),
            state.plan.unplaced_of(pid),
        )
    result = solve_group(state, group, settings, hint or current, reference, all_optional)
    if result is None:
        return False, "no-solution"
    candidate = _as_plan(state, group, result)
    w = settings.weights
    if plan_cost(state, candidate, w, group, reference) < plan_cost(state, current, w, group, reference):
        _apply(state, group, result)
        return True, result.status
    return False, result.status


def plan_arrival(state: DayState, patient: Patient, settings: SolverSettings | None = None) -> ArrivalResult:
    """Check-in: plan one arriving patient into the live day, everyone else fixed."""
    state.patients[patient.id] = patient
    state.plan.drop_patient(patient.id)
    return plan_afresh(state, patient.id, settings)


def plan_afresh(state: DayState, patient_id: str, settings: SolverSettings | None = None) -> ArrivalResult:
    """Plan one patient's steps still to come as on arrival, everyone else fixed: for a patient
    whose facts changed (they said when they last ate), so nothing of the plan made without
    those facts survives, not even a note saying why a step could not be planned then."""
    settings = settings or SolverSettings(time_limit_s=0.2)
    began = time.perf_counter()
    greedy = _fallback_group(state, [patient_id])
    _apply(state, [patient_id], greedy)
    kept, status = _solve_and_keep_best(state, [patient_id], settings, None, all_optional=True)
    placed = state.plan.of_patient(patient_id)
    unplaced = state.plan.unplaced_of(patient_id)
    return ArrivalResult(placed, unplaced, status if kept else "greedy", time.perf_counter() - began)


def resequence(state: DayState, patient_id: str, settings: SolverSettings | None = None) -> bool:
    """Re-plan one patient's remaining steps around everyone else (after a step ended).

    Kept only if it shortens their day; nobody else moves.
    """
    settings = settings or SolverSettings(time_limit_s=0.1)
    kept, _ = _solve_and_keep_best(state, [patient_id], settings, None, all_optional=False)
    return kept


def _movable(state: DayState) -> list[str]:
    return [
        pid
        for pid in state.patients
        if pid not in state.departed
        and (
            any((pid, p.task) not in state.started for p in state.plan.of_patient(pid))
            or state.plan.unplaced_of(pid)
        )
    ]


def _stay(state: DayState, pid: str) -> int:
    placements = state.plan.of_patient(pid)
    return placements[-1].end - state.patients[pid].arrival_min if placements else 0


def _neighbourhood(state: DayState, rng: random.Random, size: int, candidates: list[str]) -> list[str]:
    """Patients competing for the same rooms at about the same time as a random seed patient."""
    if len(candidates) <= size:
        return list(candidates)
    allowed = set(candidates)
    if rng.random() < 0.5:
        seed = rng.choice(candidates)
    else:  # half the time, favour the patients who stay longest
        stays = [_stay(state, pid) for pid in candidates]
        seed = rng.choices(candidates, weights=[max(1, s) for s in stays])[0]
    mine = [
        p
        for p in state.plan.of_patient(seed)
        if p.room is not None and p.station >= 0 and (seed, p.task) not in state.started
    ]
    if not mine or rng.random() < 0.15:
        return rng.sample(candidates, size)
    pick = rng.choice(mine)
    room_type = state.rooms[pick.room].room_type if pick.room else ""
    scored: list[tuple[int, str]] = []
    for (pid, _), p in state.plan.placements.items():
        if pid == seed or pid not in allowed or p.room is None:
            continue
        if state.rooms[p.room].room_type == room_type:
            scored.append((abs(p.start - pick.start), pid))
    scored.sort()
    group = [seed]
    for _, pid in scored:
        if pid not in group:
            group.append(pid)
        if len(group) >= size:
            break
    return group


def improve(
    state: DayState,
    seconds: float,
    settings: SolverSettings | None = None,
    reference: Plan | None = None,
    group_size: int = 8,
    only: list[str] | None = None,
) -> ImproveResult:
    """Large-neighbourhood search: re-solve small groups with the rest fixed, keep what helps."""
    settings = settings or SolverSettings(time_limit_s=0.1)
    began = time.perf_counter()
    deadline = began + seconds
    w = settings.weights
    rng = random.Random(settings.seed)
    candidates = only if only is not None else _movable(state)
    before = plan_cost(state, None, w, reference=reference)
    iterations = improved = 0
    size = group_size
    stopped = "time limit"
    while candidates and time.perf_counter() < deadline - 0.02:
        group = _neighbourhood(state, rng, size, candidates)
        left = deadline - time.perf_counter()
        sub = replace(settings, time_limit_s=min(settings.time_limit_s, left), seed=rng.randrange(1 << 16))
        kept, status = _solve_and_keep_best(state, group, sub, reference, all_optional=False)
        iterations += 1
        improved += kept
        if status == "optimal" and len(group) == len(candidates):
            stopped = "converged"  # everyone movable solved together, to optimality
            break
        if status == "optimal" and size < 30:
            size += 1
        elif status != "optimal" and size > 3:
            size -= 1
    after = plan_cost(state, None, w, reference=reference)
    return ImproveResult(before, after, iterations, improved, time.perf_counter() - began, stopped)


def _conflicts(state: DayState) -> set[str]:
    """Patients whose not-started bookings no longer fit (room closed, capacity, own overrun)."""
    bad: set[str] = set()
    by_room: dict[str, list[Placement]] = defaultdict(list)
    for p in state.plan.placements.values():
        if p.room is not None and p.station >= 0 and p.end > state.now:
            by_room[p.room].append(p)
    for code, items in by_room.items():
        room = state.rooms[code]
        windows = state.open_windows(room)
        for p in items:
            movable = (p.patient, p.task) not in state.started
            if movable and not any(a <= p.start and p.end <= b for a, b in windows):
                bad.add(p.patient)
        events = sorted(
            [(p.start, 1, p) for p in items] + [(p.end, -1, p) for p in items],
            key=lambda e: (e[0], e[1]),
        )
        active: list[Placement] = []
        for _, kind, p in events:
            if kind < 0:
                active.remove(p)
                continue
            active.append(p)
            if len(active) > room.stations:
                bad.update(q.patient for q in active if (q.patient, q.task) not in state.started)
    for pid in state.patients:
        mine = state.plan.of_patient(pid)
        for a, b in zip(mine, mine[1:], strict=False):
            if b.start < a.end and (pid, b.task) not in state.started:
                bad.add(pid)
        if any(p.start < state.now for p in mine if (pid, p.task) not in state.started):
            bad.add(pid)
    return bad


def replan(
    state: DayState,
    event: Event,
    settings: SolverSettings | None = None,
    seconds: float = 1.5,
) -> ReplanResult:
    """Re-plan after an event: started steps stay, untouched patients keep their times."""
    settings = settings or SolverSettings(time_limit_s=0.5)
    began = time.perf_counter()
    reference = state.plan.copy()
    notes: list[str] = []
    touched: set[str] = set()
    direct: set[str] = set()
    if isinstance(event, RoomClosed):
        state.closures.append(Closure(event.room, event.start, event.end))
    elif isinstance(event, StepOverran):
        ref = (event.patient, event.task)
        old = state.plan.placements.get(ref)
        if old is not None:
            state.plan.put(replace(old, end=max(event.new_end, old.start + 1)))
        touched.add(event.patient)
        direct.add(event.patient)
    elif isinstance(event, PatientLeft):
        patient = state.patients[event.patient]
        state.departed.add(event.patient)
        freed = {
            p.room
            for p in state.plan.of_patient(event.patient)
            if p.room is not None and (event.patient, p.task) not in state.started
        }
        touched |= {
            p.patient
            for p in state.plan.placements.values()
            if p.room in freed and p.start > state.now and (p.patient, p.task) not in state.started
        }
        kept = _started(state, event.patient)
        cancelled = [
            Unplaced(event.patient, t.key, event.reason)
            for t in patient.tasks
            if (event.patient, t.key) not in state.started
        ]
        state.plan.set_patient(event.patient, kept, cancelled)
    conflicting = _conflicts(state)
    touched |= conflicting
    touched -= state.departed
    direct = (direct | conflicting) - state.departed
    original = reference.copy()
    for pid in direct:  # their old times no longer hold: no stability cost for them
        reference.drop_patient(pid)
    group = sorted(conflicting - state.departed)
    w = settings.weights
    cost_before = plan_cost(state, None, w, reference=reference)
    if group:
        repaired = _fallback_group(state, group)
        _apply(state, group, repaired)
        if len(group) <= 40:
            sub = replace(settings, time_limit_s=min(settings.time_limit_s, seconds / 2))
            _solve_and_keep_best(state, group, sub, reference, all_optional=True)
        else:
            notes.append(f"{len(group)} patients touched: repaired by earliest start, then improved")
    movable = set(_movable(state))
    pool = sorted(touched & movable)
    left = seconds - (time.perf_counter() - began)
    if left > 0.05 and pool:
        improve(state, left / 2, settings, reference=reference, group_size=6, only=pool)
    left = seconds - (time.perf_counter() - began)
    if left > 0.05:
        # then everyone, against the stability cost: only worthwhile moves happen
        improve(state, left, settings, reference=reference, group_size=6, only=sorted(movable))
    moved = moved_patients(original, state.plan, w.far_min)
    return ReplanResult(
        moved,
        sorted(direct),
        sorted(touched),
        cost_before,
        plan_cost(state, None, w, reference=reference),
        time.perf_counter() - began,
        notes,
    )


def moved_patients(before: Plan, after: Plan, minutes: int) -> list[str]:
    """Patients with a step now starting more than `minutes` away from where it was."""
    moved: set[str] = set()
    for ref, p in after.placements.items():
        old = before.placements.get(ref)
        if old is not None and abs(p.start - old.start) > minutes:
            moved.add(ref[0])
    return sorted(moved)


def refresh(state: DayState, pull_forward: bool = True) -> list[str]:
    """Re-time plans the day has overtaken (a step ran late, a patient is behind).

    A serial pass in planned-start order re-times every not-started step at the earliest time
    the day now allows (rooms that ran early pull their bookings forward, late ones push them
    back; with `pull_forward=False` steps only move later). A patient whose rules would break (a full
    bladder waiting too long) is re-planned by earliest start instead. Cheap: no solver.
    """
    timelines = Timelines(state, skip=state.patients)
    todo: list[Placement] = []
    ends: dict[TaskRef, Placement] = {}
    for ref, p in state.plan.placements.items():
        if ref in state.started:
            ends[ref] = p
            if p.room is not None:
                timelines.add(p.room, p.station, p.start, p.end)
        elif ref[0] not in state.departed:
            todo.append(p)
    todo.sort(key=lambda p: (p.start, p.end))
    cursor: dict[str, tuple[int, str | None]] = {}
    moved: list[Placement] = []
    broken: set[str] = set()
    for p in todo:
        if p.patient in broken:
            continue
        patient = state.patients[p.patient]
        task = patient.task(p.task)
        if p.patient not in cursor:
            pos = position(state, patient)
            cursor[p.patient] = (pos.ready, pos.location)
        ready, location = cursor[p.patient]
        where = None if task.location_neutral else p.room
        lb = max(
            state.now,
            ready + walk_min(state, location, where, patient),
            fasting_lower_bound(patient, task) or 0,
            p.start if not pull_forward else 0,
        )
        for rule in patient.rules:
            before = ends.get((p.patient, rule.before)) if rule.after == p.task else None
            if before is not None:
                lb = max(lb, before.end + rule.min_gap_min)
        start: int | None = lb
        station = p.station
        if p.room is not None and p.station >= 0:
            slot = timelines.earliest(p.room, lb, p.end - p.start)
            start, station = slot if slot is not None else (None, station)
        elif task.self_service:
            start = earliest_in_windows(service_windows(state, task), lb, p.end - p.start)
        if start is None:
            broken.add(p.patient)
            continue
        new = replace(p, start=start, end=start + p.end - p.start, station=station)
        if p.room is not None and p.station >= 0:
            timelines.add(p.room, station, new.start, new.end)
        for rule in patient.rules:
            before = ends.get((p.patient, rule.before)) if rule.after == p.task else None
            if before is None or rule.max_gap_min is None:
                continue
            done = (p.patient, rule.before) in state.started
            limit = before.end + (rule.max_gap_min if done else planned_max_gap(rule.max_gap_min))
            if new.start > limit:
                broken.add(p.patient)
        ends[(p.patient, p.task)] = new
        cursor[p.patient] = (new.end, where or location)
        if new != p:
            moved.append(new)
    for p in moved:
        if p.patient not in broken:
            state.plan.put(p)
    stale = sorted(broken)
    if stale:
        _apply(state, stale, _fallback_group(state, stale))
    return sorted({p.patient for p in moved} | broken)
