"""A lower bound on the day's mean stay: a time-indexed LP relaxation (scipy's HiGHS).

What it keeps: every step that can be planned today is done (on the empty day, the same
`screen` as the planners: unknown fasting status, no room of a type, empty visits are left
out); each room step takes its simulated service time (the same draw per patient and step
as the simulated day) and happens in an open slot of a room of its type; the rooms of a type
give, per 5-minute slot, their stations times their open minutes (plus the closing tolerance
the simulated rooms allow); a patient is in one room at a time, and a step runs at most at
the speed of one station. Each patient's stay runs from arrival at least to the end of every
room step plus its tail through the rules (report turnaround, the return visit after it, the
pickup after that), and at least over their longest chain of rules from arrival (heads:
arrival, fasting window, prerequisites and their result waits).

What it relaxes: rooms of a type are pooled and preemptive (a step may be split across slots
and rooms), a step's end is bounded by its mean busy time plus half its duration (time measured
from the start of each slot), desks and self-service steps take no
capacity and keep no hours, room pauses are ignored, and no-shows stay 0 minutes; walking
counts only as the shortest walk between the rooms of two steps linked by a rule (or from the
entrance to a first step), overlapping any gap the rule asks for. Room work beyond what the
rooms of a type can do in the day counts as done at their closing (so an overloaded day has
a bound too). So no plan of the day that does every plannable step can have a lower mean
stay; a policy that leaves steps undone (turned away, sent home at closing) can.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from navigation.sequencing.adapter import patient_from_steps
from navigation.sequencing.model import DayState, Patient, Plan, Task
from navigation.sequencing.prepare import _propagate, fasting_lower_bound, screen
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.scenario import Scenario
from navigation.simulation.simulator import CLOSING_TOLERANCE_MIN, service_multiplier

SLOT_MIN = 5
METHOD = "highs-ipm"


@dataclass(frozen=True)
class _Job:
    key: str
    patient: int  # index of the patient's stay variable
    head: float  # earliest start
    tail: float  # least time from its end to the end of the patient's last step
    minutes: dict[str, float]  # room type -> service minutes


def _patients(scenario: Scenario) -> list[tuple[Patient, bool]]:
    out = []
    for a in scenario.arrivals:
        steps = scenario.steps_for(a)
        if isinstance(steps, str):
            continue
        patient = patient_from_steps(
            a.patient, steps, a.arrival_min, a.mobility, a.priority,
            a.last_meal_min, a.fasting_confirmed, scenario.entrance,
        )  # fmt: skip
        out.append((patient, a.leaves_after_steps is not None))
    return out


def _chains(
    scenario: Scenario, walking: StraightLineWalking, patient: Patient, tasks: dict[str, Task]
) -> tuple[float, list[_Job]]:
    """The patient's longest rule chain from arrival, and their room steps with head and tail."""
    rooms_of: dict[str, list[str]] = {}
    for key, task in tasks.items():
        codes = [r.code for r in scenario.rooms if r.room_type in task.room_types]
        rooms_of[key] = [] if task.location_neutral else codes[:1] if task.self_service else codes

    def walk(a: list[str], b: list[str]) -> float:
        """The shortest walk between any room of one step and any of the next."""
        if not a or not b:
            return 0.0
        return min(0.0 if x == y else walking(x, y, patient.mobility) / 60 for x in a for y in b)

    def minutes(task: Task, kind: str | None) -> float:
        base = task.duration_in(kind)
        if task.self_service or task.location_neutral:
            return float(base)
        draw = service_multiplier(scenario.seed, patient.id, task.key, scenario.service_time_cv)
        return base * draw

    def shortest(key: str) -> float:
        task = tasks[key]
        return min((minutes(task, k) for k in task.room_types), default=minutes(task, None))

    entrance = [patient.entrance] if patient.entrance else []

    @functools.cache
    def head(key: str) -> float:
        earliest = max(
            patient.arrival_min + walk(entrance, rooms_of[key]),
            float(fasting_lower_bound(patient, tasks[key]) or 0),
        )
        for r in patient.rules:
            if r.after == key and r.before in tasks:
                between = max(float(r.min_gap_min), walk(rooms_of[r.before], rooms_of[key]))
                earliest = max(earliest, head(r.before) + shortest(r.before) + between)
        return earliest

    @functools.cache
    def tail(key: str) -> float:
        return max(
            (max(float(r.min_gap_min), walk(rooms_of[key], rooms_of[r.after]))
             + shortest(r.after) + tail(r.after)
             for r in patient.rules if r.before == key and r.after in tasks),
            default=0.0,
        )  # fmt: skip

    chain = max((head(k) + shortest(k) + tail(k) for k in tasks), default=float(patient.arrival_min))
    jobs = [
        _Job(k, -1, head(k), tail(k), {kind: minutes(t, kind) for kind in t.room_types})
        for k, t in tasks.items()
        if not t.self_service and not t.location_neutral
    ]
    return chain - patient.arrival_min, jobs


def lower_bound(scenario: Scenario) -> float:
    """The LP's bound on the mean stay in minutes (patients whose orders were accepted)."""
    rooms = {r.code: r for r in scenario.rooms}
    windows: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for room in scenario.rooms:
        windows[room.room_type] += room.windows
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    empty = DayState(rooms, {}, Plan(), walking)
    stays_lb: list[float] = []
    arrivals: list[float] = []
    jobs: list[_Job] = []
    for patient, no_show in _patients(scenario):
        index = len(stays_lb)
        arrivals.append(patient.arrival_min)
        if no_show:
            stays_lb.append(0.0)
            continue
        reasons = screen(empty, patient, patient.arrival_min)
        while True:  # a step whose chain of rules ends after closing cannot happen today either
            tasks = {t.key: t for t in patient.tasks if t.key not in reasons}
            chain, mine = _chains(scenario, walking, patient, tasks)
            late = [j.key for j in mine if not _fits(windows, j)]
            if not late:
                break
            reasons.update((key, "ends after closing") for key in late)
            _propagate(patient, {t.key: t for t in patient.tasks}, reasons)
        stays_lb.append(chain)
        jobs += [replace(j, patient=index) for j in mine if j.minutes]
    if not stays_lb:
        return 0.0
    capacity = _capacity(scenario)
    closing = {kind: max(slots) + SLOT_MIN for kind, slots in capacity.items()}
    n_stay = len(stays_lb)
    columns: list[tuple[int, str, int, float]] = []  # job, type, slot start, max minutes
    for j, job in enumerate(jobs):
        for kind in job.minutes:
            for start, open_min in capacity.get(kind, {}).items():
                room_left = min(SLOT_MIN, start + SLOT_MIN - job.head)
                if open_min > 0 and room_left > 0:
                    columns.append((j, kind, start, float(min(room_left, open_min))))
            # more work than the rooms can do today: the rest waits until closing
            columns.append((j, kind, closing[kind], job.minutes[kind]))
    n = n_stay + len(columns)
    cost = np.zeros(n)
    cost[:n_stay] = 1.0 / n_stay
    upper = np.array([None] * n_stay + [c[3] for c in columns], dtype=object)
    bounds = [(lb, None) for lb in stays_lb] + [(0.0, u) for u in upper[n_stay:]]
    eq_rows, eq_cols, eq_vals = [], [], []
    ub_rows: list[int] = []
    ub_cols: list[int] = []
    ub_vals: list[float] = []
    b_ub: list[float] = []
    # each step is done in full: the fractions over its types and slots add up to one
    for col, (j, kind, _, _) in enumerate(columns, start=n_stay):
        eq_rows.append(j)
        eq_cols.append(col)
        eq_vals.append(1.0 / jobs[j].minutes[kind])
    # stay >= mean busy time + half the shortest duration + tail - arrival
    row = 0
    by_job: dict[int, list[int]] = defaultdict(list)
    for col, (j, _, _, _) in enumerate(columns, start=n_stay):
        by_job[j].append(col)
    for j, job in enumerate(jobs):
        cols = by_job.get(j, [])
        for col in cols:
            _, kind, start, _ = columns[col - n_stay]
            ub_rows.append(row)
            ub_cols.append(col)
            ub_vals.append(start / job.minutes[kind])
        ub_rows.append(row)
        ub_cols.append(job.patient)
        ub_vals.append(-1.0)
        b_ub.append(arrivals[job.patient] - min(job.minutes.values()) / 2 - job.tail)
        row += 1
    # rooms of a type: their open station-minutes per slot
    by_slot: dict[tuple[str, int], list[int]] = defaultdict(list)
    by_patient_slot: dict[tuple[int, int], list[int]] = defaultdict(list)
    for col, (j, kind, start, _) in enumerate(columns, start=n_stay):
        if start < closing[kind]:
            by_slot[(kind, start)].append(col)
            by_patient_slot[(jobs[j].patient, start)].append(col)
    for (kind, start), cols in by_slot.items():
        ub_rows += [row] * len(cols)
        ub_cols += cols
        ub_vals += [1.0] * len(cols)
        b_ub.append(capacity[kind][start])
        row += 1
    # a patient is in one room at a time
    for cols in by_patient_slot.values():
        if len(cols) > 1:
            ub_rows += [row] * len(cols)
            ub_cols += cols
            ub_vals += [1.0] * len(cols)
            b_ub.append(float(SLOT_MIN))
            row += 1
    a_ub = coo_matrix((ub_vals, (ub_rows, ub_cols)), shape=(row, n)).tocsr()
    a_eq = coo_matrix((eq_vals, (eq_rows, eq_cols)), shape=(len(jobs), n)).tocsr()
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.ones(len(jobs)), bounds=bounds, method=METHOD
    )
    if result.status != 0:
        raise RuntimeError(f"lower-bound LP failed: {result.message}")
    return float(result.fun)


def _fits(windows: dict[str, list[tuple[int, int]]], job: _Job) -> bool:
    return any(
        max(a, job.head) + minutes <= b + CLOSING_TOLERANCE_MIN
        for kind, minutes in job.minutes.items()
        for a, b in windows.get(kind, [])
    )


def _capacity(scenario: Scenario) -> dict[str, dict[int, float]]:
    """Open station-minutes per room type and 5-minute slot (closing tolerance included)."""
    out: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for room in scenario.rooms:
        for a, b in room.windows:
            end = b + CLOSING_TOLERANCE_MIN
            for start in range(a - a % SLOT_MIN, end, SLOT_MIN):
                minutes = min(end, start + SLOT_MIN) - max(a, start)
                if minutes > 0:
                    out[room.room_type][start] += minutes * room.stations
    return {k: dict(v) for k, v in out.items()}
