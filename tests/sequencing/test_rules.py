"""A plan never breaks a catalog rule, whatever the orders, arrivals and meals."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigation.sequencing import (
    DayState,
    Mobility,
    SolverSettings,
    check_plan,
    improve,
    insert_patient,
    plan_arrival,
)
from navigation.sequencing.prepare import fasting_lower_bound
from tests.sequencing.conftest import MakePatient

EXAMS = [
    "GLU", "LIPID", "RENAL", "CBC", "UA", "US-ABD", "US-PELVIS", "US-URO", "US-THY",
    "XR-CHEST", "ECG", "ECHO", "CT-HEAD", "CT-ABD-C", "MRI-BRAIN", "NM-THY", "BA-UGI",
    "GASTRO", "COLONO", "PFT", "FOLLOWUP",
]  # fmt: skip
FAST = SolverSettings(workers=2, time_limit_s=0.2)

orders = st.lists(st.sampled_from(EXAMS), min_size=1, max_size=4, unique=True).filter(
    lambda o: not ("COLONO" in o and "BA-UGI" in o)
)
patients = st.lists(
    st.tuples(
        orders,
        st.integers(7 * 60 + 30, 11 * 60),
        st.sampled_from([-180, -120, 7 * 60, None]),
        st.booleans(),
        st.sampled_from(list(Mobility)),
    ),
    min_size=1,
    max_size=5,
)


def violations(day: DayState) -> list[str]:
    found = check_plan(day.patients, day.rooms, day.plan, day.walking)
    return [f"{v.patient} {v.task} {v.rule}: {v.detail}" for v in found]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patients)
def test_checked_in_and_improved_plans_keep_every_rule(
    day: DayState, make_patient: MakePatient, drawn: list
) -> None:
    day.plan.placements.clear()
    day.plan.unplaced.clear()
    day.patients.clear()
    for i, (codes, arrival, meal, confirmed, mobility) in enumerate(drawn):
        patient = make_patient(f"P{i}", codes, arrival, meal, confirmed, mobility)
        result = plan_arrival(day, patient, FAST)
        placed = {p.task for p in result.placements} | {u.task for u in result.unplaced}
        assert placed == {t.key for t in patient.tasks}, "every step is planned or explained"
    assert violations(day) == []
    improve(day, 0.3, FAST)
    assert violations(day) == []


def test_fcfs_plan_keeps_every_rule(day: DayState, make_patient: MakePatient) -> None:
    mix = [["GLU", "US-ABD", "CT-ABD-C"], ["US-PELVIS", "US-URO", "ECG"], ["GASTRO", "LIPID"]]
    for i in range(9):
        insert_patient(day, make_patient(f"P{i}", mix[i % 3], 8 * 60 + 5 * i))
    assert violations(day) == []


def test_fasting_exams_wait_for_the_fasting_window_and_come_before_the_meal(
    day: DayState, make_patient: MakePatient
) -> None:
    breakfast = 7 * 60  # ate at 07:00: eight hours of fasting end at 15:00
    patient = make_patient("P1", ["GLU", "ECG", "US-ABD"], arrival=8 * 60, last_meal=breakfast)
    plan_arrival(day, patient, FAST)
    by_task = {p.task: p for p in day.plan.of_patient("P1")}
    meal = by_task["meal"]
    for task in patient.tasks:
        if task.fasting_hours > 0:
            assert by_task[task.key].start >= breakfast + task.fasting_hours * 60
            assert by_task[task.key].end <= meal.start
            assert by_task[task.key].start >= (fasting_lower_bound(patient, task) or 0)
    assert by_task["exam:ECG"].start < 15 * 60, "non-fasting work is done while waiting"


def test_one_place_at_a_time_with_walking_time(day: DayState, make_patient: MakePatient) -> None:
    patient = make_patient("P1", ["ECG", "MRI-BRAIN", "GASTRO", "PFT"], mobility=Mobility.WHEELCHAIR)
    plan_arrival(day, patient, FAST)
    steps = day.plan.of_patient("P1")
    rooms = [p for p in steps if p.room is not None and not patient.task(p.task).location_neutral]
    for a, b in zip(rooms, rooms[1:], strict=False):
        walk = day.walking(a.room or "", b.room or "", Mobility.WHEELCHAIR) / 60
        assert b.start >= a.end + walk, f"{a.task} -> {b.task}"
    assert violations(day) == []


def test_rooms_never_double_booked_and_open(day: DayState, make_patient: MakePatient) -> None:
    for i in range(12):
        plan_arrival(day, make_patient(f"P{i}", ["ECHO", "ECG"], 8 * 60 + i), FAST)
    echo = sorted((p.start, p.end) for p in day.plan.placements.values() if p.room == "A3-10")
    assert len(echo) == 12
    for (_, end), (start, _) in zip(echo, echo[1:], strict=False):
        assert start >= end
    for start, end in echo:
        assert (start >= 8 * 60 and end <= 12 * 60) or (start >= 13 * 60 + 30 and end <= 17 * 60 + 30)
