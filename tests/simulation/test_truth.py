"""The simulated day tells the truth: nobody vanishes from a queue, desks keep their hours,
gaps are measured exactly, no empty visits, and departments refuse steps that break a rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from navigation.sequencing.checks import patient_violations
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.kpis import kpis
from navigation.simulation.policies import PlannedOptions
from navigation.simulation.run import run_day
from navigation.simulation.scenario import (
    ScenarioError,
    generate,
    load_scenario,
    parse_scenario,
    scenario_document,
)
from navigation.simulation.simulator import DayResult, ExecutedStep

QUICK = PlannedOptions(checkin_seconds=0.1, improve_seconds=0.1, replan_seconds=0.1)
EXAM_HOURS = ["08:00-12:00", "13:30-17:30"]
DESK_HOURS = ["07:30-17:30"]


def _hospital(*extra: dict[str, Any]) -> dict[str, Any]:
    rooms = [
        {"code": "A1-01", "type": "reception", "hours": DESK_HOURS},
        {"code": "A1-02", "type": "cashier", "hours": DESK_HOURS},
        {"code": "A1-03", "type": "cafeteria", "hours": DESK_HOURS},
        {"code": "A1-04", "type": "pharmacy", "stations": 2, "hours": EXAM_HOURS},
        {"code": "A1-10", "type": "report_desk", "hours": DESK_HOURS},
        {"code": "A2-01", "type": "blood_draw", "stations": 2, "hours": EXAM_HOURS},
        {"code": "A2-08", "type": "ecg", "hours": EXAM_HOURS},
        {"code": "A3-01", "type": "echo", "hours": EXAM_HOURS},
        {"code": "A3-02", "type": "clinic", "hours": EXAM_HOURS},
        {"code": "B1-01", "type": "ct_contrast", "hours": EXAM_HOURS},
        {"code": "B1-02", "type": "xray", "hours": EXAM_HOURS},
        *extra,
    ]
    for room in rooms:
        room.setdefault("building", room["code"][0])
        room.setdefault("floor", f"{room['code'][1]}F")
    return {"rooms": rooms}


def _day(arrivals: list[dict[str, Any]], *extra_rooms: dict[str, Any]) -> Any:
    return parse_scenario(
        {
            "format": "carepath-scenario/1",
            "service_time_cv": 0,
            "hospital": _hospital(*extra_rooms),
            "arrivals": arrivals,
        }
    )


def _run(scenario: Any, policies: tuple[str, ...] = ("walk_in", "fcfs", "carepath")) -> dict[str, DayResult]:
    return {r.policy: r for r in run_day(scenario, policies, QUICK)}


def _fed(patient: str, time: str, orders: list[str], **more: Any) -> dict[str, Any]:
    return {"patient": patient, "time": time, "orders": orders, "last_meal": "yesterday 20:00", **more}


def test_a_patient_still_queuing_at_closing_is_sent_home_and_counted() -> None:
    scenario = _day([_fed("P1", "16:40", ["ECHO"]), _fed("P2", "16:41", ["ECHO"])])
    walk_in = _run(scenario, ("walk_in",))["walk_in"]
    p2 = walk_in.records["P2"]
    assert "exam:ECHO" in p2.not_done
    assert "closed" in p2.not_done["exam:ECHO"]
    assert p2.stay >= 17 * 60 + 30 - (16 * 60 + 41), "P2 waited until the echo room closed"
    row = kpis(walk_in, StraightLineWalking.for_rooms(scenario.rooms))
    assert row["steps_not_done"] >= 1
    assert row["revisit_patients"] >= 1


def test_collects_reports_is_read_and_written(tmp_path: Path) -> None:
    scenario = _day(
        [_fed("P1", "08:00", ["XR-CHEST"], collects_reports=False), _fed("P2", "08:00", ["XR-CHEST"])]
    )
    assert [a.collects_reports for a in scenario.arrivals] == [False, True]
    path = tmp_path / "day.json"
    path.write_text(json.dumps(scenario_document(scenario)))
    assert load_scenario(path).arrivals == scenario.arrivals
    walk_in = _run(scenario, ("walk_in",))["walk_in"]
    assert "report" not in {s.task for s in walk_in.records["P1"].steps}
    assert "report" in {s.task for s in walk_in.records["P2"].steps}
    with pytest.raises(ScenarioError, match="arrivals.0.collects_reports"):
        parse_scenario(
            {
                "format": "carepath-scenario/1",
                "arrivals": [{"time": "08:00", "orders": ["ECG"], "collects_reports": "yes"}],
            }
        )


def test_self_service_desks_keep_their_hours() -> None:
    # the X-ray report is ready an hour after the exam, after the report desk has closed
    scenario = _day([_fed("P1", "16:45", ["XR-CHEST"])])
    for policy, result in _run(scenario).items():
        record = result.records["P1"]
        for step in record.steps:
            if step.room is not None:
                windows = result.rooms[step.room].windows
                assert any(a <= step.start and step.end <= b for a, b in windows), (policy, step)
        assert "report" in record.not_done, policy


def test_minimum_gaps_are_kept_and_measured_exactly() -> None:
    scenario = generate(40, 5)
    for policy, result in _run(scenario, ("walk_in", "fcfs")).items():
        for record in result.records.values():
            steps = {s.task: s for s in record.steps}
            for rule in record.patient.rules:
                a, b = steps.get(rule.before), steps.get(rule.after)
                if a is not None and b is not None and rule.min_gap_min:
                    assert b.start >= a.end + rule.min_gap_min - 1e-9, (policy, record.patient.id, rule)
    # the checker sees half a minute missing from a 60-minute gap
    record = next(iter(result.records.values()))
    patient = record.patient
    rule = next(r for p in [patient] for r in p.rules if r.min_gap_min)
    a = ExecutedStep("x", patient.id, rule.before, (), None, -1, 600.0, 605.25)
    b = ExecutedStep("x", patient.id, rule.after, (), None, -1, 605.25 + rule.min_gap_min - 0.5, 700.0)
    found = patient_violations(patient, [a, b], lambda *_: 0.0, check_walking=False)
    assert [v.rule for v in found] == ["gap"]


def test_no_empty_visits() -> None:
    # no MRI room: nothing to collect, no result for the doctor, no prescription to pick up
    scenario = _day([_fed("P1", "08:30", ["MRI-BRAIN", "FOLLOWUP", "PHARM"])])
    for policy, result in _run(scenario).items():
        record = result.records["P1"]
        done = {s.task for s in record.steps}
        assert not done & {"report", "exam:FOLLOWUP", "exam:PHARM"}, (policy, done)
        assert {"report", "exam:FOLLOWUP", "exam:PHARM"} <= set(record.not_done), policy
        assert "nothing to collect" in record.not_done["report"], policy


def test_walk_in_departments_refuse_rule_breaks() -> None:
    scenario = _day(
        [
            _fed("P1", "08:00", ["XR-CHEST", "ECG", "GLU"]),  # eats before the glucose test
            _fed("P2", "08:00", ["CT-ABD-C", "LFT"]),  # CT printed before the kidney result
        ]
    )
    walk_in = _run(scenario, ("walk_in",))["walk_in"]
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    p1, p2 = walk_in.records["P1"], walk_in.records["P2"]
    assert "eaten" in p1.not_done["draw:blood"]
    steps = {s.task: s for s in p2.steps}
    assert steps["exam:CT-ABD-C"].start >= steps["draw:blood"].end + 60, "sent for the blood test first"
    row = kpis(walk_in, walking)
    assert row["violations"] == 0
    assert row["revisit_patients"] == 1  # P1 comes back for the glucose test


def test_walk_in_patients_choose_the_nearest_room() -> None:
    far_ecg = {"code": "B5-01", "type": "ecg", "hours": EXAM_HOURS}
    scenario = _day([_fed(f"P{i}", "09:00", ["ECG"]) for i in range(4)], far_ecg)
    walk_in = _run(scenario, ("walk_in",))["walk_in"]
    rooms = {s.room for s in walk_in.steps if s.task == "exam:ECG"}
    assert rooms == {"A2-08"}, "they cannot see that the far room is empty"


def test_new_kpis_per_policy() -> None:
    scenario = _day([_fed("P1", "08:00", ["XR-CHEST", "ECG", "GLU"]), _fed("P2", "09:00", ["ECG"])])
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    for result in _run(scenario).values():
        row = kpis(result, walking)
        assert row["mean_time_on_site_min"] == row["mean_time_in_hospital_min"]
        assert row["revisit_patients"] == sum(1 for r in result.records.values() if r.not_done), result.policy
        assert row["steps_not_done"] == sum(len(r.not_done) for r in result.records.values())
