"""When a step cannot happen today the plan names it and why, and plans the rest."""

from __future__ import annotations

import time

from navigation.sequencing import DayState, Patient, Rule, SolverSettings, Task, plan_arrival
from tests.sequencing.conftest import MakePatient

FAST = SolverSettings(workers=2, time_limit_s=0.2)


def test_unknown_last_meal_without_confirmation(day: DayState, make_patient: MakePatient) -> None:
    patient = make_patient("P1", ["GLU", "ECG"], last_meal=None, confirmed=False)
    result = plan_arrival(day, patient, FAST)
    reasons = {u.task: u.reason for u in result.unplaced}
    assert "last meal is unknown" in reasons["draw:blood"]
    assert "exam:ECG" in {p.task for p in result.placements}


def test_confirmed_overnight_fast_is_enough(day: DayState, make_patient: MakePatient) -> None:
    patient = make_patient("P1", ["GLU", "ECG"], last_meal=None, confirmed=True)
    result = plan_arrival(day, patient, FAST)
    assert result.unplaced == []


def test_no_room_for_an_exam_type(day: DayState, make_patient: MakePatient) -> None:
    for code in [c for c, r in day.rooms.items() if r.room_type == "mri"]:
        del day.rooms[code]
    result = plan_arrival(day, make_patient("P1", ["MRI-BRAIN", "ECG"]), FAST)
    reasons = {u.task: u.reason for u in result.unplaced}
    assert reasons["exam:MRI-BRAIN"] == "no room of type mri in this hospital"
    assert "exam:ECG" in {p.task for p in result.placements}


def test_prerequisite_that_cannot_happen_blocks_what_needs_it(
    day: DayState, make_patient: MakePatient
) -> None:
    for code in [c for c, r in day.rooms.items() if r.room_type == "blood_draw"]:
        del day.rooms[code]
    result = plan_arrival(day, make_patient("P1", ["CT-ABD-C", "XR-CHEST"]), FAST)
    reasons = {u.task: u.reason for u in result.unplaced}
    assert "blood_draw" in reasons["draw:blood"]
    assert reasons["exam:CT-ABD-C"].startswith("needs draw:blood first")


def test_fasting_window_after_closing(day: DayState, make_patient: MakePatient) -> None:
    # lunch at 12:00: a 12-hour fast ends at midnight
    result = plan_arrival(day, make_patient("P1", ["LIPID"], arrival=13 * 60, last_meal=12 * 60), FAST)
    reasons = {u.task: u.reason for u in result.unplaced}
    assert "no blood_draw room is open" in reasons["draw:blood"]


def test_contradictory_rules_are_named_not_hung(day: DayState) -> None:
    tasks = (Task("a", "exam", ("ecg",), 10), Task("b", "exam", ("xray",), 10))
    rules = (Rule("a", "b", 0, "a first"), Rule("b", "a", 0, "b first"))
    patient = Patient("P1", 8 * 60, tasks, rules, entrance="A1-01")
    began = time.perf_counter()
    result = plan_arrival(day, patient, FAST)
    assert time.perf_counter() - began < 2
    assert {u.task for u in result.unplaced} == {"a", "b"}
    assert all("contradict" in u.reason for u in result.unplaced)


def test_full_day_leaves_a_named_unplaced_step(day: DayState, make_patient: MakePatient) -> None:
    # one endoscopy room, 8 h open: 40-minute colonoscopies cannot all fit
    results = [plan_arrival(day, make_patient(f"P{i}", ["COLONO"], arrival=8 * 60), FAST) for i in range(14)]
    unplaced = [u for r in results for u in r.unplaced if u.task == "exam:COLONO"]
    assert unplaced, "the day is over-full"
    assert all("slot" in u.reason for u in unplaced)
