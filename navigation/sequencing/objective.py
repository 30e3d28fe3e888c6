"""The plan's cost, computed the same way the CP-SAT model counts it."""

from __future__ import annotations

from collections.abc import Iterable

from navigation.sequencing.model import DayState, Plan, Weights


def priority_weight(weights: Weights, priority: float) -> int:
    return max(1, round(weights.time_in_hospital * priority))


def patient_cost(
    state: DayState, patient_id: str, plan: Plan, weights: Weights, reference: Plan | None = None
) -> int:
    patient = state.patients[patient_id]
    placements = plan.of_patient(patient_id)
    end = max((p.end for p in placements), default=patient.arrival_min)
    stay = end - patient.arrival_min
    cost = priority_weight(weights, patient.priority) * stay
    cost += weights.long_stay * max(0, stay - weights.long_stay_min)
    fasting_keys = {t.key for t in patient.tasks if t.fasting_hours > 0}
    if fasting_keys:
        meal = next((t.key for t in patient.tasks if t.kind == "meal"), None)
        by_key = {p.task: p for p in placements}
        if meal in by_key:
            fast_end = by_key[meal].start
        else:
            fast_end = max((by_key[k].end for k in fasting_keys if k in by_key), default=0)
        cost += weights.fasting * max(0, fast_end - patient.arrival_min)
    cost += weights.unplaced * len(plan.unplaced_of(patient_id))
    cost -= weights.slack * sum(
        p.start for p in placements if p.station >= 0 and (patient_id, p.task) not in state.started
    )
    if reference is not None:
        for p in placements:
            ref = (p.patient, p.task)
            old = reference.placements.get(ref)
            if old is None or ref in state.started:
                continue
            moved = abs(p.start - old.start)
            cost += weights.stability * moved + (weights.moved_far if moved > weights.far_min else 0)
    return cost


def plan_cost(
    state: DayState,
    plan: Plan | None = None,
    weights: Weights | None = None,
    patients: Iterable[str] | None = None,
    reference: Plan | None = None,
) -> int:
    plan = state.plan if plan is None else plan
    weights = weights or Weights()
    ids = state.patients if patients is None else patients
    return sum(patient_cost(state, pid, plan, weights, reference) for pid in ids)
