"""The strong first-come-first-served plan: each arriving patient in their best order.

Every order of the patient's steps that keeps the rules (prerequisites, ordering rules, a
full-bladder sitting kept together) is tried with earliest-start insertion around everyone
already planned; the order that does the most steps and finishes earliest is kept. No
solver: this is the baseline a solver has to beat, and a good start for one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from navigation.sequencing.greedy import Timelines, place_in_order
from navigation.sequencing.model import DayState, Patient, Placement, Task, Unplaced
from navigation.sequencing.prepare import precedence_closure, todo

MAX_ORDERS = 720  # enough for every order of six free steps; more are sampled in rule order


def rule_orders(patient: Patient, tasks: Sequence[Task], limit: int = MAX_ORDERS) -> Iterator[list[Task]]:
    """Orders of `tasks` that keep every rule, at most `limit`, catalog-like orders first."""
    keys = [t.key for t in tasks]
    closure = precedence_closure(patient.rules, set(keys))
    before = {k: {a for a, b in closure if b == k} for k in keys}
    bladder = {t.key for t in tasks if t.full_bladder}
    by_key = {t.key: t for t in tasks}
    produced = 0

    def extend(order: list[str], left: list[str]) -> Iterator[list[Task]]:
        nonlocal produced
        if not left:
            produced += 1
            yield [by_key[k] for k in order]
            return
        sitting = bool(order) and order[-1] in bladder and any(k in bladder for k in left)
        for key in left:
            if produced >= limit:
                return
            if before[key] & set(left) or (sitting and key not in bladder):
                continue
            yield from extend([*order, key], [k for k in left if k != key])

    yield from extend([], keys)


def best_order_plan(
    state: DayState, timelines: Timelines, patient: Patient
) -> tuple[list[Placement], list[Unplaced]]:
    """The patient's best rule-keeping order on these timelines (which are not changed)."""
    tasks = todo(state, patient)
    best: tuple[tuple[int, int, int], list[Placement], list[Unplaced]] | None = None
    for order in rule_orders(patient, tasks):
        placed, unplaced = place_in_order(state, timelines, patient, order)
        finish = max((p.end for p in placed), default=0)
        busy_start = sum(p.start for p in placed if p.station >= 0)
        score = (len(unplaced), finish, -busy_start)
        if best is None or score < best[0]:
            best = (score, placed, unplaced)
    if best is None:
        return place_in_order(state, timelines, patient, tasks)
    return best[1], best[2]


def insert_best_order(state: DayState, patient: Patient) -> tuple[list[Placement], list[Unplaced]]:
    """FCFS in the patient's best order: plan them around everyone else and write it."""
    state.patients[patient.id] = patient
    types = {t for task in patient.tasks for t in task.room_types}
    rooms = {r.code for r in state.rooms.values() if r.room_type in types}
    timelines = Timelines(state, rooms, skip=[patient.id])
    started = [p for p in state.plan.of_patient(patient.id) if (patient.id, p.task) in state.started]
    for p in started:
        if p.room is not None and p.end > state.now:
            timelines.add(p.room, p.station, p.start, p.end)
    placed, unplaced = best_order_plan(state, timelines, patient)
    state.plan.set_patient(patient.id, [*started, *placed], unplaced)
    return placed, unplaced
