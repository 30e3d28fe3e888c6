"""Sequencing benchmark (not a timed test): simulated days, check-in, re-plan, whole-day LNS.

    /work/venv/bin/python bench/sequencing.py [--sizes 300,1000] [--seed 1] [--only PARTS]

Prints JSON lines: one per policy per generated day (the keys of `carepath simulate
--json`, with the day's `lower_bound_min` and each policy's `gap_closed`), then `checkin`,
`replan` (per event `replan_seconds`, `replan_touched_patients`, `replan_moved_pct`; one event
closes the busiest room at 09:00 for the rest of the day) and `improve` figures. Takes several
minutes. `--only shape` runs the day of another shape in bench/scenarios/ (two buildings, four
ultrasound rooms, most patients fasting, a fifth in wheelchairs, arrivals packed into two
morning hours). Two more parts say how far the day could be improved at all (`--only bounds`,
300 patients, about five minutes): `capacity_bound`, an older and looser bound than
`lower_bound_min`, and `clairvoyant`, CarePath given every patient before the day starts and
three minutes to plan.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scipy.optimize import linprog  # noqa: E402

from navigation.sequencing import (  # noqa: E402
    DayState,
    PatientLeft,
    Plan,
    RoomClosed,
    SolverSettings,
    StepOverran,
    StraightLineWalking,
    improve,
    insert_patient,
    plan_arrival,
    plan_cost,
    replan,
)
from navigation.sequencing.adapter import patient_from_steps  # noqa: E402
from navigation.sequencing.model import Patient  # noqa: E402
from navigation.sequencing.planner import Event, moved_patients  # noqa: E402
from navigation.sequencing.prepare import fasting_lower_bound  # noqa: E402
from navigation.simulation.bound import lower_bound  # noqa: E402
from navigation.simulation.kpis import add_bound, kpis  # noqa: E402
from navigation.simulation.policies import Day, Planned, PlannedOptions  # noqa: E402
from navigation.simulation.run import run_day  # noqa: E402
from navigation.simulation.scenario import Scenario, generate, load_scenario  # noqa: E402
from navigation.simulation.simulator import simulate_day  # noqa: E402

CHECKIN = SolverSettings(workers=2, time_limit_s=0.2)
LNS = SolverSettings(workers=2, time_limit_s=0.05)


def emit(row: dict) -> None:
    print(json.dumps(row), flush=True)


def patients_of(scenario: Scenario) -> list[Patient]:
    out = []
    for a in scenario.arrivals:
        steps = scenario.steps_for(a)
        if isinstance(steps, str):
            continue
        out.append(
            patient_from_steps(
                a.patient, steps, a.arrival_min, a.mobility, a.priority,
                a.last_meal_min, a.fasting_confirmed, scenario.entrance,
            )
        )  # fmt: skip
    return out


def empty_day(scenario: Scenario) -> DayState:
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    return DayState({r.code: r for r in scenario.rooms}, {}, Plan(), walking)


def mean_stay(day: DayState) -> float:
    stays = [
        max(p.end for p in day.plan.of_patient(pid)) - patient.arrival_min
        for pid, patient in day.patients.items()
        if day.plan.of_patient(pid)
    ]
    return round(statistics.mean(stays), 1) if stays else 0.0


SHAPE = Path(__file__).parent / "scenarios" / "two_buildings_fasting_rush.json"


def simulated_days(sizes: list[int], seed: int, options: PlannedOptions) -> None:
    for n in sizes:
        simulated_day(generate(n, seed), options)


def simulated_day(scenario: Scenario, options: PlannedOptions) -> None:
    """Every policy on one day, with the day's lower bound and each policy's gap closed."""
    n = len(scenario.arrivals)
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    began = time.perf_counter()
    rows = [kpis(result, walking) for result in run_day(scenario, options=options)]
    print(f"# day of {n} simulated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    began = time.perf_counter()
    add_bound(rows, lower_bound(scenario))
    print(f"# lower bound LP in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    for row in rows:
        row["rooms"] = len(scenario.rooms)
        emit(row)
    emit(no_queue_bound(scenario))


def no_queue_bound(scenario: Scenario) -> dict:
    """Each patient alone in the empty hospital, best order found in 0.2 s of CP-SAT.

    Not a bound on the simulated day: it plans with catalog durations and walking rounded
    up to whole minutes, while simulated exams take their drawn times (often shorter), so
    some patients beat it. `lower_bound_min` on the policy lines is the bound.
    """
    stays = []
    for patient in patients_of(scenario):
        day = empty_day(scenario)
        placed = plan_arrival(day, patient, CHECKIN).placements
        if placed:
            stays.append(max(p.end for p in placed) - patient.arrival_min)
    stays.sort()
    return {
        "metric": "no_queue_bound",
        "scenario": scenario.name,
        "mean_time_in_hospital_min": round(statistics.mean(stays), 1),
        "p90_time_in_hospital_min": stays[int(0.9 * (len(stays) - 1))],
    }


def checkin_figures(seed: int, planned: int = 1000, arrivals: int = 60) -> None:
    """p95 of one check-in with `planned` patients already in the live day."""
    scenario = generate(planned + arrivals, seed)
    patients = patients_of(scenario)
    day = empty_day(scenario)
    for patient in patients[:planned]:
        insert_patient(day, patient)
    day.now = 9 * 60
    times = []
    for patient in patients[planned:]:
        late = Patient(**{**patient.__dict__, "arrival_min": max(patient.arrival_min, day.now)})
        began = time.perf_counter()
        plan_arrival(day, late, CHECKIN)
        times.append(time.perf_counter() - began)
    times.sort()
    emit(
        {
            "metric": "checkin",
            "planned_patients": planned,
            "arrivals": len(times),
            "checkin_p50_ms": round(1000 * times[len(times) // 2], 1),
            "checkin_p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1),
            "checkin_max_ms": round(1000 * times[-1], 1),
        }
    )


def _planned_day(seed: int, n: int = 300) -> DayState:
    scenario = generate(n, seed)
    day = empty_day(scenario)
    for patient in patients_of(scenario):
        plan_arrival(day, patient, CHECKIN)
    improve(day, 60.0, LNS)  # the background improvement has been running all morning
    return day


def _at(planned: DayState, now: int) -> DayState:
    day = planned.copy()
    day.now = now
    day.started = {ref for ref, p in day.plan.placements.items() if p.start < now}
    return day


def _busiest_after(day: DayState) -> str:
    """The exam room with the most bookings still to come: closing it touches the most."""
    counts = Counter(
        p.room for ref, p in day.plan.placements.items()
        if p.room is not None and p.station >= 0 and ref not in day.started
    )  # fmt: skip
    return counts.most_common(1)[0][0]


def replan_figures(seed: int) -> None:
    """Re-plan after events; compare with 10 s of background improvement from the same state."""
    planned = _planned_day(seed)
    base = _at(planned, 10 * 60)
    busiest = max(
        (r for r in base.rooms.values() if r.room_type == "ultrasound"),
        key=lambda r: sum(1 for p in base.plan.placements.values() if p.room == r.code),
    )
    running = next(
        p for ref, p in base.plan.placements.items()
        if ref in base.started and p.end > base.now and p.station >= 0
    )  # fmt: skip
    leaving = next(pid for pid in base.patients if any(
        p.start > base.now for p in base.plan.of_patient(pid)))  # fmt: skip
    morning = _at(planned, 9 * 60)
    closing = _busiest_after(morning)
    events: list[tuple[str, DayState, Event]] = [
        ("room_closed", base, RoomClosed(busiest.code, base.now, base.now + 60)),
        ("step_overran", base, StepOverran(running.patient, running.task, running.end + 30)),
        ("patient_left", base, PatientLeft(leaving)),
        ("room_closed_0900", morning, RoomClosed(closing, 9 * 60, 24 * 60)),
    ]
    for name, start, event in events:
        day = start.copy()
        before = day.plan.copy()
        result = replan(day, event, SolverSettings(workers=2, time_limit_s=0.25), seconds=1.5)
        untouched = [pid for pid in day.patients if pid not in result.touched_patients]
        moved = set(moved_patients(before, day.plan, 15)) & set(untouched)
        # the same event, then 10 s of background improvement without stability
        other = start.copy()
        replan(other, event, SolverSettings(workers=2, time_limit_s=0.25), seconds=0.0)
        improve(other, 10.0, LNS)
        replanned, background = plan_cost(day), plan_cost(other)
        emit(
            {
                "metric": "replan",
                "event": name,
                "replan_seconds": round(result.seconds, 3),
                "touched_patients": len(result.touched_patients),
                "replan_touched_patients": len(result.touched_patients),
                "replan_moved_pct": round(100 * len(moved) / max(1, len(untouched)), 2),
                "objective_vs_background_10s_pct": round(100 * (replanned - background) / background, 2),
            }
        )


def improve_figures(seed: int, n: int = 300) -> None:
    """Whole-day improvement from the FCFS plan, as in the issue's measurement."""
    scenario = generate(n, seed)
    patients = patients_of(scenario)
    start = empty_day(scenario)
    for patient in patients:
        insert_patient(start, patient)
    fcfs_cost, fcfs_stay = plan_cost(start), mean_stay(start)
    for seconds in (5.0, 30.0):
        day = start.copy()
        result = improve(day, seconds, LNS)
        emit(
            {
                "metric": "improve",
                "patients": n,
                "seconds": seconds,
                "start": "fcfs_plan",
                "objective_gain_pct": round(100 * (fcfs_cost - result.cost_after) / fcfs_cost, 1),
                "mean_stay_fcfs_min": fcfs_stay,
                "mean_stay_after_min": mean_stay(day),
                "unplaced_fcfs": len(start.plan.unplaced),
                "unplaced_after": len(day.plan.unplaced),
                "iterations": result.iterations,
            }
        )
    day = empty_day(scenario)
    began = time.perf_counter()
    for patient in patients:
        plan_arrival(day, patient, CHECKIN)
    spent = time.perf_counter() - began
    result = improve(day, max(0.0, 5.0 - spent), LNS)
    emit(
        {
            "metric": "improve",
            "patients": n,
            "seconds": round(spent + result.seconds, 1),
            "start": "checkin_insertion",
            "objective_gain_pct": round(100 * (fcfs_cost - result.cost_after) / fcfs_cost, 1),
            "mean_stay_fcfs_min": fcfs_stay,
            "mean_stay_after_min": mean_stay(day),
            "unplaced_after": len(day.plan.unplaced),
        }
    )


LUNCH = (12 * 60, 13 * 60 + 30)


def _spill_row(
    patient: Patient, placed: set[str]
) -> tuple[int, dict[str, float], dict[str, list[tuple[int, float]]]]:
    """What pushing any of this patient's exams past lunch costs at least, and their room work.

    Returns the patient's earliest possible end if one exam starts after lunch, their room
    minutes per room type, and per type the (earliest start, minutes) of each exam.
    """
    tasks = {t.key: t for t in patient.tasks if t.key in placed}

    @functools.cache
    def head(key: str) -> int:  # earliest start: arrival, fasting, rules before it
        earliest = max(patient.arrival_min, fasting_lower_bound(patient, tasks[key]) or 0)
        for r in patient.rules:
            if r.after == key and r.before in tasks:
                earliest = max(earliest, head(r.before) + tasks[r.before].duration_min + r.min_gap_min)
        return earliest

    @functools.cache
    def tail(key: str) -> int:  # shortest time from its end to the end of the day's last step
        return max(
            (r.min_gap_min + tasks[r.after].duration_min + tail(r.after)
             for r in patient.rules if r.before == key and r.after in tasks),
            default=0,
        )  # fmt: skip

    work: defaultdict[str, float] = defaultdict(float)
    released: dict[str, list[tuple[int, float]]] = defaultdict(list)
    after_lunch = []
    for task in tasks.values():
        if task.self_service:
            continue
        share = 1 / len(task.room_types)
        for kind in task.room_types:
            work[kind] += task.duration_in(kind) * share
            released[kind].append((head(task.key), task.duration_in(kind) * share))
        after_lunch.append(LUNCH[1] + min(task.duration_in(k) for k in task.room_types) + tail(task.key))
    return min(after_lunch, default=0), work, released


def capacity_bound(seed: int, n: int = 300) -> None:
    """A lower bound on the mean stay that counts the rooms' morning capacity (an LP).

    Each patient stays at least their no-queue stay. Room work that does not fit between its
    earliest start and the lunch closing (all exam rooms close 12:00-13:30) must go after
    lunch, and a patient with an exam after lunch ends no earlier than that exam plus its
    report wait. The LP chooses, fractionally, which patients take that spill at least cost.
    Queueing within the morning is not counted, so the bound is loose, but no plan beats it.
    """
    scenario = generate(n, seed)
    stations: Counter = Counter()
    for room in scenario.rooms:
        if LUNCH[0] in [b for _, b in room.windows]:
            stations[room.room_type] += room.stations
    solo_total, excess, rows = 0, [], []
    for patient in patients_of(scenario):
        placed = plan_arrival(empty_day(scenario), patient, CHECKIN).placements
        if not placed:
            continue
        solo_end = max(p.end for p in placed)
        solo_total += solo_end - patient.arrival_min
        earliest_end, work, released = _spill_row(patient, {p.task for p in placed})
        lunch_only = all(kind in stations for kind in work)
        excess.append(max(0, earliest_end - solo_end) if lunch_only and work else 0)
        rows.append((work, released) if lunch_only else (Counter(), {}))
    a_ub, b_ub = [], []
    for kind, count in stations.items():
        for tau in range(8 * 60, LUNCH[0], 10):
            # work released at tau or later fits in [tau, 12:00] or goes past lunch
            row = [sum(m for t, m in released.get(kind, []) if t >= tau) for _, released in rows]
            need = sum(row) - count * (LUNCH[0] - tau)
            if need > 0:
                a_ub.append([-x for x in row])
                b_ub.append(-need)
    result = linprog(excess, A_ub=a_ub or None, b_ub=b_ub or None, bounds=(0, 1), method="highs")
    emit(
        {
            "metric": "capacity_bound",
            "scenario": scenario.name,
            "no_queue_mean_min": round(solo_total / len(rows), 1),
            "mean_time_in_hospital_min": round((solo_total + result.fun) / len(rows), 1),
        }
    )


class _Clairvoyant(Planned):
    """CarePath that planned everyone before the day began: check-in plans nothing new."""

    def check_in(self, day: Day, patient: Patient) -> None:
        self._sync(day)
        self._refresh(day, self.options.refresh_every_min)


def clairvoyant(seed: int, n: int = 300, seconds: float = 180.0) -> None:
    """CarePath with perfect foresight: every arrival known, `seconds` of LNS before 07:00.

    Then the same simulated day as `carepath` (same draws, same re-plans and background
    improvement). What it reaches is about what this optimiser could do with any
    forecasting of arrivals; it is no bound.
    """
    scenario = generate(n, seed)
    day = empty_day(scenario)
    for patient in patients_of(scenario):
        plan_arrival(day, patient, CHECKIN)
    improve(day, seconds, SolverSettings(workers=2, time_limit_s=0.1))
    planned_stay = mean_stay(day)
    day.now = 0
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    row = kpis(simulate_day(scenario, _Clairvoyant(day, smart=True), walking), walking)
    row.update(policy="clairvoyant", planned_mean_stay_min=planned_stay, planning_seconds=seconds)
    emit(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="300,1000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="days,checkin,replan,improve")
    parser.add_argument(
        "--one-line-per-room", action="store_true", help="nurses never call from the shared line"
    )
    parser.add_argument(
        "--call-by-plan",
        action="store_true",
        help="CarePath's rooms call by planned start, not slack",
    )
    parser.add_argument(
        "--no-retry",
        action="store_true",
        help="CarePath never re-plans a patient with a step left out for want of a free slot",
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    options = PlannedOptions(
        shared_lines=not args.one_line_per_room,
        call_by_slack=not args.call_by_plan,
        retry_seconds=0 if args.no_retry else PlannedOptions.retry_seconds,
    )
    if "days" in parts:
        simulated_days([int(s) for s in args.sizes.split(",") if s], args.seed, options)
    if "checkin" in parts:
        checkin_figures(args.seed)
    if "replan" in parts:
        replan_figures(args.seed)
    if "improve" in parts:
        improve_figures(args.seed)
    if "shape" in parts:  # a day of another shape (bench/scenarios/, docs/sequencing.md)
        simulated_day(load_scenario(SHAPE), options)
    if "bounds" in parts:
        capacity_bound(args.seed)
        clairvoyant(args.seed)


if __name__ == "__main__":
    main()
