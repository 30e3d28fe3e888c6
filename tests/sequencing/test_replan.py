"""Re-plans after events: started steps stay, untouched patients keep their times."""

from __future__ import annotations

from dataclasses import replace

from navigation.sequencing import (
    DayState,
    PatientLeft,
    RoomClosed,
    SolverSettings,
    StepOverran,
    check_plan,
    plan_arrival,
    replan,
)
from navigation.sequencing.planner import refresh
from tests.sequencing.conftest import MakePatient

FAST = SolverSettings(workers=2, time_limit_s=0.2)
MIX = [["ECG", "XR-CHEST"], ["US-THY", "CBC"], ["ECHO", "PFT"], ["US-ABD", "GLU"], ["CT-HEAD"]]


def busy_day(day: DayState, make_patient: MakePatient, n: int = 20) -> DayState:
    for i in range(n):
        plan_arrival(day, make_patient(f"P{i:02d}", MIX[i % len(MIX)], 8 * 60 + 3 * i), FAST)
    return day


def clock(day: DayState, now: int) -> None:
    """Move the day on: everything planned to start before `now` has started."""
    day.now = now
    day.started |= {ref for ref, p in day.plan.placements.items() if p.start < now}


def ok(day: DayState) -> list[str]:
    windows = {code: day.open_windows(room) for code, room in day.rooms.items()}
    found = check_plan(day.patients, day.rooms, day.plan, day.walking, windows, day.started)
    return [f"{v.patient} {v.task} {v.rule} {v.detail}" for v in found]


def test_room_closure_moves_only_those_in_the_room(day: DayState, make_patient: MakePatient) -> None:
    busy_day(day, make_patient)
    clock(day, 8 * 60 + 30)
    before = day.plan.copy()
    in_room = {
        p.patient for ref, p in before.placements.items() if p.room == "B2-01" and ref not in day.started
    }
    result = replan(day, RoomClosed("B2-01", day.now, 10 * 60), FAST, seconds=1.0)
    assert result.seconds < 2.0
    assert ok(day) == []
    assert all(not (p.room == "B2-01" and day.now <= p.start < 10 * 60)
               for p in day.plan.placements.values())  # fmt: skip
    untouched = [pid for pid in day.patients if pid not in in_room]
    moved = [pid for pid in untouched if pid in result.moved_patients]
    assert len(moved) <= 0.05 * len(untouched) + 1


def test_overrun_keeps_started_steps(day: DayState, make_patient: MakePatient) -> None:
    busy_day(day, make_patient)
    first = min(day.plan.placements.values(), key=lambda p: (p.room != "A3-10", p.start))
    day.now = first.start + 5
    for p in day.plan.of_patient(first.patient):
        if p.start <= first.start:
            day.started.add((p.patient, p.task))
    result = replan(day, StepOverran(first.patient, first.task, first.end + 40), FAST, seconds=1.0)
    after = day.plan.placements[(first.patient, first.task)]
    assert (after.start, after.end) == (first.start, first.end + 40)
    assert ok(day) == []
    assert result.seconds < 2.0


def test_no_show_cancels_their_steps(day: DayState, make_patient: MakePatient) -> None:
    busy_day(day, make_patient, 10)
    clock(day, 8 * 60 + 10)
    replan(day, PatientLeft("P03"), FAST, seconds=0.5)
    assert all(("P03", p.task) in day.started for p in day.plan.of_patient("P03"))
    assert day.plan.unplaced_of("P03")
    assert all(u.reason == "the patient did not show up" for u in day.plan.unplaced_of("P03"))
    assert ok(day) == []


def test_refresh_follows_the_day_and_keeps_the_rules(day: DayState, make_patient: MakePatient) -> None:
    busy_day(day, make_patient)
    clock(day, 8 * 60 + 40)
    # a step in progress runs 25 minutes late: what was planned after it must follow
    running = [
        p
        for ref, p in day.plan.placements.items()
        if ref in day.started and p.station >= 0 and p.end > day.now
    ]
    late = min(running, key=lambda p: p.end)
    day.plan.put(replace(late, end=late.end + 25))
    day.now += 10
    refresh(day)
    assert ok(day) == []
    assert all(p.start >= day.now for ref, p in day.plan.placements.items() if ref not in day.started)
