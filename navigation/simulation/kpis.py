"""What each policy did to the patients' day: the figures `carepath simulate` prints."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from navigation.sequencing.checks import patient_violations
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.scenario import SELF_SERVICE_TYPES
from navigation.simulation.simulator import DayResult, PatientRecord


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[rank]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def record_violations(record: PatientRecord, walking: StraightLineWalking) -> list[str]:
    """Broken rules in what was executed, at the simulated (unrounded) times.

    Water drunk on the way, as the preparation message said, is the one step begun before
    arriving."""
    patient = record.patient
    if record.drank_water_at is not None:
        patient = replace(patient, arrival_min=min(patient.arrival_min, math.floor(record.drank_water_at)))
    found = patient_violations(patient, record.steps, walking, record.not_done.keys(), check_walking=False)
    return [f"{v.task}: {v.rule} ({v.detail})" for v in found]


def needs_revisit(record: PatientRecord, violations: int) -> bool:
    """Another visit is needed: a step not done today, or one done against a rule.

    Patients who left on their own (no-shows) are not counted: no policy could keep them.
    """
    return not record.left_early and bool(record.not_done or violations)


def fasting_minutes(record: PatientRecord) -> float | None:
    patient = record.patient
    fasting = {t.key for t in patient.tasks if t.fasting_hours > 0}
    if not fasting:
        return None
    by_key = {s.task: s for s in record.steps}
    meal = next((t.key for t in patient.tasks if t.kind == "meal"), None)
    if meal in by_key:
        end = by_key[meal].start
    else:
        ends = [by_key[k].end for k in fasting if k in by_key]
        if not ends:
            return None
        end = max(ends)
    return max(0.0, end - record.arrival)


def start_delay(record: PatientRecord, window_start: int) -> float | None:
    """How long after the window's start the first exam began (payment, water are no exam)."""
    starts = [s.start for s in record.steps if s.station >= 0 and s.room is not None]
    return max(0.0, min(starts) - window_start) if starts else None


def booking_kpis(result: DayResult) -> dict[str, Any]:
    delays = [
        d
        for pid, start in result.windows.items()
        if pid in result.records and (d := start_delay(result.records[pid], start)) is not None
    ]
    return {
        "booked_patients": len(result.windows) + result.no_shows,
        "no_shows": result.no_shows,
        "mean_start_delay_min": round(_mean(delays), 1),
    }


def kpis(result: DayResult, walking: StraightLineWalking) -> dict[str, Any]:
    stay, wait, walk, fasting, on_site = [], [], [], [], []
    visits: list[float] = []
    violations = not_done = revisits = 0
    for record in result.records.values():
        broken = len(record_violations(record, walking))
        violations += broken
        revisits += needs_revisit(record, broken)
        if not record.left_early:
            not_done += len(record.not_done)
        minutes = record.stay
        if not record.steps and minutes <= 0:
            continue
        busy = sum(max(0.0, s.end - max(s.start, record.arrival)) for s in record.steps)  # on site
        stay.append(minutes)
        on_site.append(record.time_on_site)
        visits.append(record.visits)
        wait.append(max(0.0, minutes - busy - record.walked_min))
        walk.append(record.walked_m)
        f = fasting_minutes(record)
        if f is not None:
            fasting.append(f)
    rooms = [c for c, r in result.rooms.items() if r.room_type not in SELF_SERVICE_TYPES]
    busy_total = sum(result.busy_minutes.get(c, 0.0) for c in rooms)
    open_total = sum(result.open_station_minutes.get(c, 0.0) for c in rooms)
    row = {
        "policy": result.policy,
        "scenario": result.scenario,
        "patients": len(result.records),
        "mean_time_in_hospital_min": round(_mean(stay), 1),
        "p90_time_in_hospital_min": round(percentile(stay, 0.9), 1),
        "mean_wait_min": round(_mean(wait), 1),
        "mean_walk_m": round(_mean(walk), 1),
        "mean_fasting_min": round(_mean(fasting), 1),
        "violations": violations,
        "utilisation": round(busy_total / open_total, 3) if open_total else 0.0,
        "steps_not_done": not_done,
        "refused_patients": len(result.refused),
        "solve_seconds": round(result.solve_seconds, 2),
        "revisit_patients": revisits,
        # arrival to leaving, less the time out of the building waiting for results
        "mean_time_on_site_min": round(_mean(on_site), 1),
        "p90_time_on_site_min": round(percentile(on_site, 0.9), 1),
        "visits_per_patient": round(_mean(visits), 2),
    }
    if result.policy == "carepath_booked":
        row.update(booking_kpis(result))
    return row


def add_bound(rows: list[dict[str, Any]], bound_min: float) -> None:
    """Put the day's lower bound on every row, and the share of the gap each policy closes.

    `gap_closed` = (fcfs_catalog_order - policy) / (fcfs_catalog_order - bound) on the mean
    stay: the share of the room between the fixed-order plan and the bound that a policy
    takes (None when the fixed-order plan was not run).
    """
    catalog = next((r for r in rows if r["policy"] == "fcfs_catalog_order"), None)
    base = catalog["mean_time_in_hospital_min"] if catalog else None
    for row in rows:
        row["lower_bound_min"] = round(bound_min, 1)
        room = None if base is None else base - bound_min
        row["gap_closed"] = (
            round((base - row["mean_time_in_hospital_min"]) / room, 3) if base is not None and room else None
        )
