"""From the catalog's `StepPlan` and the hospital's room list to the sequencer's plain input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from navigation.sequencing.model import Mobility, Patient, Room, Rule, Task
from navigation.steps import StepPlan

LOCATION_NEUTRAL_KINDS = ("payment", "water", "meal")  # pay by phone, drink, eat where you are


def minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_hours(hours: list[str]) -> tuple[tuple[int, int], ...]:
    windows = []
    for span in hours:
        a, b = span.split("-")
        windows.append((minute_of_day(a), minute_of_day(b)))
    return tuple(sorted(windows))


def rooms_from_hospital(document: Mapping[str, Any]) -> list[Room]:
    """Rooms of a hospital document (the format of navigation/demo/hospital.json)."""
    ordinals = {
        (b["code"], f["name"]): int(f["ordinal"])
        for b in document.get("buildings", [])
        for f in b.get("floors", [])
    }
    rooms = []
    for r in document["rooms"]:
        floor = ordinals.get((r.get("building", "A"), r.get("floor", "1F")), 1)
        rooms.append(
            Room(
                code=r["code"],
                room_type=r["type"],
                stations=int(r.get("stations", 1)),
                windows=parse_hours(r.get("hours", ["08:00-17:00"])),
                building=r.get("building", "A"),
                floor=floor,
            )
        )
    return rooms


def patient_from_steps(
    patient_id: str,
    steps: StepPlan,
    arrival_min: int,
    mobility: Mobility = Mobility.WALKING,
    priority: float = 1.0,
    last_meal_min: int | None = None,
    fasting_confirmed: bool = False,
    entrance: str | None = None,
) -> Patient:
    tasks = tuple(
        Task(
            key=s.key,
            kind=s.kind,
            room_types=s.room_types,
            duration_min=s.duration_min,
            exam_codes=s.exam_codes,
            fasting_hours=s.fasting_hours,
            full_bladder=s.full_bladder,
            self_service=s.self_service,
            location_neutral=s.self_service and s.kind in LOCATION_NEUTRAL_KINDS,
            room_durations=s.room_durations,
        )
        for s in steps.steps
    )
    rules = tuple(
        Rule(
            before=d.before,
            after=d.after,
            min_gap_min=d.min_gap_min,
            reason=d.reason,
            max_gap_min=d.max_gap_min,
            hard=d.hard,
        )
        for d in steps.dependencies
    )
    return Patient(
        id=patient_id,
        arrival_min=arrival_min,
        tasks=tasks,
        rules=rules,
        mobility=mobility,
        priority=priority,
        last_meal_min=last_meal_min,
        fasting_confirmed=fasting_confirmed,
        entrance=entrance,
    )
