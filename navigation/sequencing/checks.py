"""Every rule a plan (or a simulated day) must keep, checked independently of the solver.

Times are compared exactly as given: a simulated day passes its unrounded minutes, so a
60-minute gap kept for 59.5 minutes is a violation, never rounded away.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from navigation.sequencing.model import Patient, Placement, Plan, Room, WalkingTime
from navigation.sequencing.prepare import fasting_lower_bound


@dataclass(frozen=True)
class Violation:
    patient: str
    task: str
    rule: str  # order | gap | max_gap | prerequisite | fasting | one_place | bladder | room
    detail: str


class Booking(Protocol):
    """A step at a time and place: a planned `Placement` or a simulated, executed step."""

    @property
    def task(self) -> str: ...
    @property
    def room(self) -> str | None: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


def _walk(walking: WalkingTime, patient: Patient, a: Booking, b: Booking, neutral: set[str]) -> int:
    if a.room is None or b.room is None or a.task in neutral or b.task in neutral:
        return 0
    return math.ceil(walking(a.room, b.room, patient.mobility) / 60.0)


def patient_violations(
    patient: Patient,
    placements: Iterable[Booking],
    walking: WalkingTime,
    unplaced: Iterable[str] = (),
    check_walking: bool = True,
) -> list[Violation]:
    """Rules of one patient's journey: order, gaps, fasting, one place at a time, bladder."""
    occurrences: dict[str, list[Booking]] = defaultdict(list)
    for p in sorted(placements, key=lambda p: p.start):
        occurrences[p.task].append(p)  # a preparation may be repeated (drink again)
    by_key = {key: found[-1] for key, found in occurrences.items()}
    missing = set(unplaced)
    out: list[Violation] = []
    pid = patient.id
    for rule in patient.rules:
        a, b = by_key.get(rule.before), by_key.get(rule.after)
        if a is not None and b is not None:
            earlier = [o for o in occurrences[rule.before] if o.end <= b.start]
            a = (earlier or occurrences[rule.before])[-1 if earlier else 0]
        if b is not None and a is None and rule.hard and rule.before in missing:
            out.append(Violation(pid, rule.after, "prerequisite", f"done without {rule.before}"))
        if a is None or b is None:
            continue
        if b.start < a.end:
            out.append(Violation(pid, rule.after, "order", f"before {rule.before}: {rule.reason}"))
        elif b.start < a.end + rule.min_gap_min:
            out.append(Violation(pid, rule.after, "gap", f"{rule.min_gap_min} min after {rule.before}"))
        if rule.max_gap_min is not None and b.start > a.end + rule.max_gap_min:
            out.append(
                Violation(pid, rule.after, "max_gap", f"over {rule.max_gap_min} min after {rule.before}")
            )
    for task in patient.tasks:
        done = by_key.get(task.key)
        if done is None or task.fasting_hours <= 0:
            continue
        lb = fasting_lower_bound(patient, task)
        if lb is None or done.start < lb:
            out.append(Violation(pid, task.key, "fasting", f"needs {task.fasting_hours:g} h fasting"))
    neutral = {t.key for t in patient.tasks if t.location_neutral}
    ordered = sorted((p for found in occurrences.values() for p in found), key=lambda p: (p.start, p.end))
    for i, a in enumerate(ordered):
        if a.start < patient.arrival_min:
            out.append(Violation(pid, a.task, "one_place", "before the patient arrived"))
        for b in ordered[i + 1 :]:
            walk = _walk(walking, patient, a, b, neutral) if check_walking else 0
            if b.start < a.end + walk:
                out.append(Violation(pid, b.task, "one_place", f"no time to get there from {a.task}"))
    bladder = [by_key[t.key] for t in patient.tasks if t.full_bladder and t.key in by_key]
    scans = {p.task for p in bladder}
    preparation = {r.before for r in patient.rules if r.after in scans and r.max_gap_min}
    if len(bladder) > 1:
        first, last = min(p.start for p in bladder), max(p.end for p in bladder)
        for p in ordered:
            if p not in bladder and p.task not in preparation and first < p.start < last:
                out.append(Violation(pid, p.task, "bladder", "between full-bladder exams"))
    return out


def room_violations(
    rooms: Mapping[str, Room],
    placements: Iterable[Placement],
    windows: Mapping[str, list[tuple[int, int]]] | None = None,
    started: Iterable[tuple[str, str]] = (),
) -> list[Violation]:
    """Capacity (one patient per station at a time) and opening hours of every booking."""
    fixed = set(started)
    out: list[Violation] = []
    by_station: dict[tuple[str, int], list[Placement]] = defaultdict(list)
    for p in placements:
        if p.room is None or p.room not in rooms:
            continue
        room = rooms[p.room]
        if p.station >= 0:
            by_station[(p.room, p.station)].append(p)
        if p.station >= room.stations:
            out.append(Violation(p.patient, p.task, "room", f"station {p.station} of {p.room}"))
        open_ = windows[p.room] if windows is not None else list(room.windows)
        inside = any(a <= p.start and p.end <= b for a, b in open_)
        if not inside and (p.patient, p.task) not in fixed:
            out.append(Violation(p.patient, p.task, "room", f"{p.room} is not open then"))
    for (code, station), items in by_station.items():
        items.sort(key=lambda p: p.start)
        for a, b in zip(items, items[1:], strict=False):
            if b.start < a.end:
                out.append(Violation(b.patient, b.task, "room", f"{code} station {station} is busy"))
    return out


def check_plan(
    patients: Mapping[str, Patient],
    rooms: Mapping[str, Room],
    plan: Plan,
    walking: WalkingTime,
    windows: Mapping[str, list[tuple[int, int]]] | None = None,
    started: Iterable[tuple[str, str]] = (),
) -> list[Violation]:
    """All violations of a plan: each patient's rules, then rooms' capacity and hours."""
    by_patient: dict[str, list[Placement]] = defaultdict(list)
    for (pid, _), p in plan.placements.items():
        by_patient[pid].append(p)
    missing: dict[str, list[str]] = defaultdict(list)
    for pid, key in plan.unplaced:
        missing[pid].append(key)
    out: list[Violation] = []
    for pid, patient in patients.items():
        out += patient_violations(patient, by_patient.get(pid, []), walking, missing.get(pid, []))
    return out + room_violations(rooms, plan.placements.values(), windows, started)
