"""The strong FCFS baseline and the LP lower bound on the mean stay."""

from __future__ import annotations

import statistics

from navigation.sequencing import DayState, Plan, StraightLineWalking, check_plan, insert_patient
from navigation.sequencing.adapter import patient_from_steps
from navigation.sequencing.model import Patient
from navigation.sequencing.orders import insert_best_order, rule_orders
from navigation.sequencing.prepare import precedence_closure
from navigation.simulation.bound import lower_bound
from navigation.simulation.kpis import kpis
from navigation.simulation.run import run_day
from navigation.simulation.scenario import Scenario, generate, parse_scenario
from tests.simulation.test_truth import QUICK, _fed, _hospital


def _patients(scenario: Scenario) -> list[Patient]:
    out = []
    for a in scenario.arrivals:
        steps = scenario.steps_for(a)
        assert not isinstance(steps, str)
        out.append(
            patient_from_steps(
                a.patient, steps, a.arrival_min, a.mobility, a.priority,
                a.last_meal_min, a.fasting_confirmed, scenario.entrance,
            )
        )  # fmt: skip
    return out


def test_every_order_tried_keeps_the_rules() -> None:
    scenario = parse_scenario(
        {
            "format": "carepath-scenario/1",
            "arrivals": [_fed("P1", "08:00", ["US-PELVIS", "US-URO", "UA", "GLU"])],
        }
    )
    patient = _patients(scenario)[0]
    keys = {t.key for t in patient.tasks}
    closure = precedence_closure(patient.rules, keys)
    orders = [[t.key for t in o] for o in rule_orders(patient, patient.tasks)]
    assert len(orders) > 1
    for order in orders:
        assert all(order.index(a) < order.index(b) for a, b in closure)
        scans = [i for i, k in enumerate(order) if patient.task(k).full_bladder]
        assert scans == list(range(scans[0], scans[0] + len(scans))), "one full-bladder sitting"


def test_best_order_fcfs_keeps_every_rule_and_finishes_earlier() -> None:
    scenario = generate(80, 3)
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    stays = {}
    for insert in (insert_patient, insert_best_order):
        day = DayState({r.code: r for r in scenario.rooms}, {}, Plan(), walking)
        for patient in _patients(scenario):
            insert(day, patient)
        assert check_plan(day.patients, day.rooms, day.plan, walking) == []
        stays[insert.__name__] = statistics.mean(
            max(p.end for p in day.plan.of_patient(pid)) - patient.arrival_min
            for pid, patient in day.patients.items()
            if day.plan.of_patient(pid)
        )
    assert stays["insert_best_order"] < stays["insert_patient"]


def test_the_bound_sees_the_queue_and_no_plan_beats_it() -> None:
    # six patients at 08:00 for a 30-minute echo in one room: someone waits 2.5 hours
    scenario = parse_scenario(
        {
            "format": "carepath-scenario/1",
            "service_time_cv": 0,
            "hospital": _hospital(),
            "arrivals": [_fed(f"P{i}", "08:00", ["ECHO"]) for i in range(6)],
        }
    )
    bound = lower_bound(scenario)
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    rows = [kpis(r, walking) for r in run_day(scenario, ("fcfs", "carepath"), QUICK)]
    alone = 5 + 30 + 60 + 5  # pay, echo, report turnaround, collect: no queue at all
    assert bound > alone + 60, "the room's queue is counted"
    assert all(bound <= r["mean_time_in_hospital_min"] for r in rows)


def test_a_step_that_cannot_end_before_closing_leaves_the_bound_defined() -> None:
    # the kidney result comes an hour after the 16:50 blood draw: no contrast CT today
    scenario = parse_scenario(
        {
            "format": "carepath-scenario/1",
            "hospital": _hospital(),
            "arrivals": [_fed("P1", "16:45", ["CT-ABD-C", "LFT"]), _fed("P2", "08:00", ["ECG"])],
        }
    )
    assert 0 < lower_bound(scenario) < 200


def test_an_overloaded_day_still_has_a_bound() -> None:
    # thirty 30-minute echoes for one echo room: more than the room can do in a day
    scenario = parse_scenario(
        {
            "format": "carepath-scenario/1",
            "service_time_cv": 0,
            "hospital": _hospital(),
            "arrivals": [_fed(f"P{i}", "08:00", ["ECHO"]) for i in range(30)],
        }
    )
    assert lower_bound(scenario) > 4 * 60, "most of them wait for hours"
