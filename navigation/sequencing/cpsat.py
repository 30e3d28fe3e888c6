"""The CP-SAT model for a group of patients planned together, everyone else held fixed.

Check-in solves a group of one; the background improvement solves small groups in turn
(large-neighbourhood search); a re-plan solves the patients an event touched. Rooms are
`NoOverlap` (one station) or `Cumulative` (several stations) over optional intervals, with
other patients' bookings and the closed hours as fixed intervals. Each patient is one place
at a time: every pair of their tasks is ordered, with the walking time between the rooms
chosen in between.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from navigation.sequencing.model import (
    DAY_END,
    NO_STATION,
    DayState,
    Patient,
    Placement,
    Plan,
    Room,
    SolverSettings,
    Task,
    TaskRef,
    Unplaced,
)
from navigation.sequencing.objective import priority_weight
from navigation.sequencing.prepare import (
    _propagate,
    fasting_lower_bound,
    fits_somewhere,
    planned_max_gap,
    position,
    precedence_closure,
    screen,
    service_windows,
    task_location,
    todo,
    visit_purpose,
    walk_min,
)

SolveRunner = Callable[[Callable[[], Any]], Any]


def _in_this_thread(solve: Callable[[], Any]) -> Any:
    return solve()


_run_solve: SolveRunner = _in_this_thread


def run_solves_with(runner: SolveRunner) -> None:
    """Where solves run. An event-loop server (gunicorn's gevent workers) hands them to a real
    thread: CP-SAT releases the GIL while it searches, so the loop keeps answering every phone
    of the process while one check-in is planned, instead of stalling them all."""
    global _run_solve
    _run_solve = runner


def run_solve(solve: Callable[[], Any]) -> Any:
    return _run_solve(solve)


Zone = tuple[str, int]  # (building, floor): rooms close enough to share walking times


@dataclass
class SubResult:
    placements: list[Placement]
    unplaced: list[Unplaced]
    status: str
    seconds: float
    restationed: dict[TaskRef, Placement] = field(default_factory=dict)


@dataclass
class _TaskVars:
    task: Task
    start: cp_model.IntVar
    end: cp_model.LinearExprT
    present: cp_model.IntVar | int
    alternatives: list[tuple[Room, cp_model.IntVar, int]]
    zones: dict[Zone, tuple[cp_model.IntVar | int, list[str]]]


def _lit(value: cp_model.IntVar | int) -> list[cp_model.IntVar]:
    return [] if isinstance(value, int) else [value]


def solve_group(
    state: DayState,
    free: Sequence[str],
    settings: SolverSettings,
    hint: Plan | None = None,
    reference: Plan | None = None,
    all_optional: bool = False,
) -> SubResult | None:
    """Plan the not-started tasks of `free` patients; None if no plan was found in time."""
    began = time.perf_counter()
    model = cp_model.CpModel()
    weights = settings.weights
    free_set = set(free)
    room_items: dict[str, list[tuple[cp_model.IntervalVar, int]]] = defaultdict(list)
    unplaced: list[Unplaced] = []
    variables: dict[TaskRef, _TaskVars] = {}
    objective: list[cp_model.LinearExprT] = []

    for pid in free:
        patient = state.patients[pid]
        pos = position(state, patient)
        reasons = screen(state, patient, pos.ready)
        done = {p.task: p for p in state.plan.of_patient(pid) if (pid, p.task) in state.started}
        tasks = {t.key: t for t in todo(state, patient)}
        rule_lb: dict[str, int] = defaultdict(int)
        for rule in patient.rules:
            if rule.before in done and rule.after in tasks:
                rule_lb[rule.after] = max(rule_lb[rule.after], done[rule.before].end + rule.min_gap_min)
        built: dict[str, _TaskVars] = {}
        for key, task in tasks.items():
            if key in reasons:
                continue
            lb = max(pos.ready, fasting_lower_bound(patient, task) or 0, rule_lb[key])
            tv = _task_vars(model, state, patient, task, lb, hint, all_optional, pos.location)
            if tv is None:
                reasons[key] = f"no {'/'.join(task.room_types)} room is open long enough today"
                continue
            built[key] = tv
        before_drop = set(reasons)
        _propagate(patient, tasks, reasons)
        for key in set(reasons) - before_drop:
            if key in built:
                model.add(_as_expr(built.pop(key).present) == 0)
        unplaced += [Unplaced(pid, k, r) for k, r in reasons.items()]
        for key, tv in built.items():
            variables[(pid, key)] = tv
            for room, lit, _ in tv.alternatives:
                if not tv.task.self_service:
                    size = tv.task.duration_in(room.room_type)
                    iv = model.new_optional_fixed_size_interval_var(tv.start, size, lit, "")
                    room_items[room.code].append((iv, 1))
        _patient_constraints(model, state, patient, built, done, hint)
        objective += _patient_objective(model, state, patient, built, pos.done_end, reference, weights)

    _room_constraints(model, state, room_items, free_set)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = settings.workers
    solver.parameters.max_time_in_seconds = max(0.01, settings.time_limit_s)
    solver.parameters.random_seed = settings.seed
    status = run_solve(lambda: solver.solve(model))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    placements: list[Placement] = []
    for (pid, key), tv in variables.items():
        if not isinstance(tv.present, int) and not solver.boolean_value(tv.present):
            unplaced.append(Unplaced(pid, key, "no free slot in an eligible room today that keeps its rules"))
            continue
        start = solver.value(tv.start)
        chosen = next((r for r, lit, _ in tv.alternatives if solver.boolean_value(lit)), None)
        duration = tv.task.duration_in(chosen.room_type if chosen else None)
        code = None if chosen is None or tv.task.location_neutral else chosen.code
        station = NO_STATION if tv.task.self_service else 0
        placements.append(Placement(pid, key, code, station, start, start + duration))
    placed, restationed = assign_stations(state, placements, free_set)
    name = "optimal" if status == cp_model.OPTIMAL else "feasible"
    return SubResult(placed, unplaced, name, time.perf_counter() - began, restationed)


def _as_expr(value: cp_model.IntVar | int) -> cp_model.LinearExprT:
    return value


def _task_vars(
    model: cp_model.CpModel,
    state: DayState,
    patient: Patient,
    task: Task,
    lb: int,
    hint: Plan | None,
    all_optional: bool,
    location: str | None,
) -> _TaskVars | None:
    ref = (patient.id, task.key)
    hinted = hint.placements.get(ref) if hint is not None else None
    optional = all_optional or hinted is None
    rooms = task_location(state, task)
    pinned = state.pinned_rooms.get(ref)
    if rooms is not None and not task.self_service:
        rooms = [
            r
            for r in rooms
            if (pinned is None or r.code == pinned)
            and fits_somewhere(state, r, lb, task.duration_in(r.room_type))
        ]
        if not rooms:
            return None
    present: cp_model.IntVar | int = model.new_bool_var("") if optional else 1
    alternatives: list[tuple[Room, cp_model.IntVar, int]] = []
    if rooms is not None and len(rooms) == 1 and isinstance(present, int):
        alternatives.append((rooms[0], model.new_constant(1), task.duration_in(rooms[0].room_type)))
    elif rooms is not None:
        for room in rooms:
            alternatives.append((room, model.new_bool_var(""), task.duration_in(room.room_type)))
        model.add(sum(lit for _, lit, _ in alternatives) == present)
    entry = _zone_walks(state, patient, location, alternatives)
    earliest = lb + min(entry.values(), default=0)
    if task.self_service:
        spans = [
            [max(a, earliest), b - task.duration_min]
            for a, b in service_windows(state, task)
            if b - task.duration_min >= max(a, earliest)
        ]
        if not spans:
            return None
        start = model.new_int_var_from_domain(cp_model.Domain.from_intervals(spans), "")
    else:
        start = model.new_int_var(earliest, DAY_END, "")
    durations = {d for _, _, d in alternatives} or {task.duration_min}
    if len(durations) == 1:
        end: cp_model.LinearExprT = start + durations.pop()
    else:
        end = start + sum(d * lit for _, lit, d in alternatives)
    zones = _zones(model, alternatives)
    base = min(entry.values(), default=0)
    for zone, walk in entry.items():
        if walk > base:
            model.add(start >= lb + walk).only_enforce_if(_lit(zones[zone][0]))
    if hinted is not None:
        model.add_hint(start, hinted.start)
        if not isinstance(present, int):
            model.add_hint(present, 1)
        for room, lit, _ in alternatives:
            if lit.index >= 0 and not isinstance(present, int) or len(alternatives) > 1:
                model.add_hint(lit, 1 if room.code == hinted.room else 0)
    elif not isinstance(present, int):
        model.add_hint(present, 0)
    return _TaskVars(task, start, end, present, alternatives, zones)


def _zone_of(room: Room) -> Zone:
    return (room.building, room.floor)


def _zones(
    model: cp_model.CpModel, alternatives: list[tuple[Room, cp_model.IntVar, int]]
) -> dict[Zone, tuple[cp_model.IntVar | int, list[str]]]:
    grouped: dict[Zone, list[tuple[Room, cp_model.IntVar]]] = defaultdict(list)
    for room, lit, _ in alternatives:
        grouped[_zone_of(room)].append((room, lit))
    zones: dict[Zone, tuple[cp_model.IntVar | int, list[str]]] = {}
    for zone, members in grouped.items():
        if len(grouped) == 1:
            zones[zone] = (members[0][1] if len(members) == 1 else 1, [r.code for r, _ in members])
            continue
        if len(members) == 1:
            zones[zone] = (members[0][1], [members[0][0].code])
            continue
        lit = model.new_bool_var("")
        model.add(sum(m for _, m in members) == lit)
        zones[zone] = (lit, [r.code for r, _ in members])
    return zones


def _zone_walks(
    state: DayState,
    patient: Patient,
    location: str | None,
    alternatives: list[tuple[Room, cp_model.IntVar, int]],
) -> dict[Zone, int]:
    walks: dict[Zone, int] = {}
    for room, _, _ in alternatives:
        zone = _zone_of(room)
        walks[zone] = max(walks.get(zone, 0), walk_min(state, location, room.code, patient))
    return walks


def _pair_walks(
    state: DayState, patient: Patient, a: _TaskVars, b: _TaskVars
) -> dict[tuple[Zone, Zone], int]:
    if a.task.location_neutral or b.task.location_neutral or not a.zones or not b.zones:
        return {}
    walks: dict[tuple[Zone, Zone], int] = {}
    for za, (_, rooms_a) in a.zones.items():
        for zb, (_, rooms_b) in b.zones.items():
            walks[(za, zb)] = max(walk_min(state, x, y, patient) for x in rooms_a for y in rooms_b)
    return walks


def _patient_constraints(
    model: cp_model.CpModel,
    state: DayState,
    patient: Patient,
    built: dict[str, _TaskVars],
    done: dict[str, Placement],
    hint: Plan | None,
) -> None:
    keys = sorted(built)
    closure = precedence_closure(patient.rules, set(keys))
    order: dict[tuple[str, str], Any] = {}
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            ta, tb = built[a], built[b]
            both = _lit(ta.present) + _lit(tb.present)
            if (a, b) in closure:
                lit = model.new_constant(1)
            elif (b, a) in closure:
                lit = model.new_constant(0)
            else:
                lit = model.new_bool_var("")
                if hint is not None:
                    pa = hint.placements.get((patient.id, a))
                    pb = hint.placements.get((patient.id, b))
                    if pa is not None and pb is not None:
                        model.add_hint(lit, 1 if pa.start <= pb.start else 0)
            order[(a, b)] = lit
            order[(b, a)] = lit.Not()
            for first, second, when in ((ta, tb, lit), (tb, ta, lit.Not())):
                walks = _pair_walks(state, patient, first, second)
                base = min(walks.values(), default=0)
                if (a, b) in closure and first is tb or (b, a) in closure and first is ta:
                    continue
                cond = both + ([] if (a, b) in closure or (b, a) in closure else [when])
                model.add(second.start >= first.end + base).only_enforce_if(cond)
                for (za, zb), walk in walks.items():
                    if walk > base:
                        extra = _lit(first.zones[za][0]) + _lit(second.zones[zb][0])
                        model.add(second.start >= first.end + walk).only_enforce_if(cond + extra)
    for rule in patient.rules:
        if rule.before in built and rule.after in built:
            first, second = built[rule.before], built[rule.after]
            both = _lit(first.present) + _lit(second.present)
            model.add(second.start >= first.end + rule.min_gap_min).only_enforce_if(both)
            if rule.max_gap_min is not None:
                model.add(second.start <= first.end + planned_max_gap(rule.max_gap_min)).only_enforce_if(both)
            if rule.hard and not isinstance(second.present, int):
                model.add_implication(second.present, _as_bool(model, first.present))
        elif rule.before in done and rule.after in built and rule.max_gap_min is not None:
            second = built[rule.after]
            limit = done[rule.before].end + rule.max_gap_min  # already started: no margin left
            model.add(second.start <= limit).only_enforce_if(_lit(second.present))
    for tv in built.values():
        # no empty visit: a report, return visit or pickup needs one of its steps done
        before = visit_purpose(patient, tv.task)
        if before and not before & set(done) and not isinstance(tv.present, int):
            model.add(tv.present <= sum(_as_expr(built[b].present) for b in before if b in built))
    bladder = [k for k in keys if built[k].task.full_bladder]
    _same_room(model, [built[k] for k in bladder])
    if bladder and any(patient.task(k).full_bladder for k in done):
        # a full-bladder sitting has begun: its remaining scans come before anything else
        for other in keys:
            if other not in bladder:
                for b in bladder:
                    if (other, b) not in closure:
                        model.add_bool_or([order[(b, other)]])
    if len(bladder) > 1:
        for other in keys:
            if other in bladder:
                continue
            for a in bladder:
                for b in bladder:
                    if a != b:
                        model.add_bool_or([order[(a, other)].Not(), order[(other, b)].Not()])


def _same_room(model: cp_model.CpModel, group: list[_TaskVars]) -> None:
    """Full-bladder scans in one sitting: the same room, so the second follows at once."""
    for other in group[1:]:
        first_rooms = {r.code: lit for r, lit, _ in group[0].alternatives}
        for room, lit, _ in other.alternatives:
            if room.code in first_rooms:
                model.add(lit == first_rooms[room.code])
            else:
                model.add(lit == 0)


def _as_bool(model: cp_model.CpModel, value: cp_model.IntVar | int) -> cp_model.IntVar:
    return model.new_constant(1) if isinstance(value, int) else value


def _patient_objective(
    model: cp_model.CpModel,
    state: DayState,
    patient: Patient,
    built: dict[str, _TaskVars],
    done_end: int,
    reference: Plan | None,
    weights: object,
) -> list[cp_model.LinearExprT]:
    from navigation.sequencing.model import Weights

    assert isinstance(weights, Weights)
    terms: list[cp_model.LinearExprT] = []
    end = model.new_int_var(max(done_end, patient.arrival_min), DAY_END, "")
    for tv in built.values():
        model.add(end >= tv.end).only_enforce_if(_lit(tv.present))
    terms.append(priority_weight(weights, patient.priority) * end)
    if weights.long_stay:
        over = model.new_int_var(0, DAY_END, "")
        model.add(over >= end - patient.arrival_min - weights.long_stay_min)
        terms.append(weights.long_stay * over)
    if any(t.fasting_hours > 0 for t in patient.tasks):
        meal = next((tv for tv in built.values() if tv.task.kind == "meal"), None)
        fasting = [tv for tv in built.values() if tv.task.fasting_hours > 0]
        if meal is not None:
            terms.append(weights.fasting * meal.start)
        elif fasting:
            fast_end = model.new_int_var(0, DAY_END, "")
            for tv in fasting:
                model.add(fast_end >= tv.end).only_enforce_if(_lit(tv.present))
            terms.append(weights.fasting * fast_end)
    for tv in built.values():
        if not isinstance(tv.present, int):
            terms.append(-weights.unplaced * tv.present)
        if weights.slack and not tv.task.self_service:
            terms.append(-weights.slack * tv.start)
        old = reference.placements.get((patient.id, tv.task.key)) if reference else None
        if old is not None:
            moved = model.new_int_var(0, DAY_END, "")
            model.add(moved >= tv.start - old.start)
            model.add(moved >= old.start - tv.start)
            far = model.new_bool_var("")
            model.add(moved <= weights.far_min).only_enforce_if(far.Not())
            terms.append(weights.stability * moved + weights.moved_far * far)
    return terms


def _room_constraints(
    model: cp_model.CpModel,
    state: DayState,
    room_items: dict[str, list[tuple[cp_model.IntervalVar, int]]],
    free: set[str],
) -> None:
    fixed: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for ref, p in state.plan.placements.items():
        if p.room not in room_items or p.end <= state.now or p.station < 0:
            continue
        if ref[0] in free and ref not in state.started:
            continue
        fixed[p.room].append((max(p.start, state.now), p.end))
    for code, items in room_items.items():
        room = state.rooms[code]
        closed = _closed(state.open_windows(room), state.now)
        if room.stations == 1:
            segments = [(a, b, 1) for a, b in _merge(fixed[code] + closed)]
        else:
            segments = _profile(fixed[code], closed, room.stations)
        intervals = [iv for iv, _ in items]
        demands = [d for _, d in items]
        for a, b, level in segments:
            intervals.append(model.new_fixed_size_interval_var(a, b - a, ""))
            demands.append(level)
        if room.stations == 1:
            model.add_no_overlap(intervals)
        else:
            model.add_cumulative(intervals, demands, room.stations)


def _closed(windows: list[tuple[int, int]], now: int) -> list[tuple[int, int]]:
    closed, cursor = [], now
    for a, b in sorted(windows):
        if a > cursor:
            closed.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < DAY_END:
        closed.append((cursor, DAY_END))
    return closed


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _profile(
    busy: list[tuple[int, int]], closed: list[tuple[int, int]], capacity: int
) -> list[tuple[int, int, int]]:
    events: dict[int, int] = defaultdict(int)
    for a, b in busy:
        if b > a:
            events[a] += 1
            events[b] -= 1
    for a, b in closed:
        if b > a:
            events[a] += capacity
            events[b] -= capacity
    segments: list[tuple[int, int, int]] = []
    level, previous = 0, None
    for t in sorted(events):
        if previous is not None and level > 0 and t > previous:
            use = min(level, capacity)
            if segments and segments[-1][1] == previous and segments[-1][2] == use:
                segments[-1] = (segments[-1][0], t, use)
            else:
                segments.append((previous, t, use))
        level += events[t]
        previous = t
    return segments


def assign_stations(
    state: DayState, placements: list[Placement], free: set[str]
) -> tuple[list[Placement], dict[TaskRef, Placement]]:
    """Give each new booking a station; the room's capacity guarantees one exists."""
    by_room: dict[str, list[Placement]] = defaultdict(list)
    out: list[Placement] = []
    for p in placements:
        (by_room[p.room] if p.room is not None and p.station >= 0 else out).append(p)
    restationed: dict[TaskRef, Placement] = {}
    for code, new in by_room.items():
        room = state.rooms[code]
        keep = [
            p
            for ref, p in state.plan.placements.items()
            if p.room == code and p.end > state.now and not (ref[0] in free and ref not in state.started)
        ]
        done = _colour(room.stations, keep, sorted(new, key=lambda p: p.start))
        if done is None:  # fragmented stations: re-label every not-started booking of the room
            movable = [p for p in keep if (p.patient, p.task) not in state.started]
            fixed = [p for p in keep if (p.patient, p.task) in state.started]
            relabelled = _colour(room.stations, fixed, sorted(new + movable, key=lambda p: p.start))
            done = relabelled or [_with_station(p, 0) for p in new + movable]
            restationed.update({(p.patient, p.task): p for p in done if p.patient not in free})
            done = [p for p in done if p.patient in free]
        out += done
    return out, restationed


def _with_station(p: Placement, station: int) -> Placement:
    return Placement(p.patient, p.task, p.room, station, p.start, p.end)


def _colour(stations: int, fixed: list[Placement], new: list[Placement]) -> list[Placement] | None:
    busy: list[list[tuple[int, int]]] = [[] for _ in range(stations)]
    for p in fixed:
        busy[min(p.station, stations - 1)].append((p.start, p.end))
    result = []
    for p in new:
        for s in range(stations):
            if all(p.end <= a or p.start >= b for a, b in busy[s]):
                busy[s].append((p.start, p.end))
                result.append(_with_station(p, s))
                break
        else:
            return None
    return result
