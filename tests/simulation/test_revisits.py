"""Fewer patients sent home to come back another day: what CarePath does about it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from navigation.simulation.run import run_day
from navigation.simulation.scenario import parse_scenario
from tests.simulation.test_truth import QUICK, _fed, _hospital


def _mri_morning(seed: int) -> Any:
    """One MRI room and eleven knee scans (report 180 min after, desk closes 17:30): the last to
    check in is planned at 14:30, too late for the report; the scans of this seed's draws run
    short, so the room reaches them in time."""
    hospital = _hospital({"code": "B3-01", "type": "mri", "hours": ["08:00-12:00", "13:30-17:30"]})
    arrivals = [_fed(f"P{i:02d}", "07:45", ["MRI-KNEE"]) for i in range(1, 11)]
    arrivals.append(_fed("P11", "08:00", ["MRI-KNEE"]))
    return parse_scenario(
        {
            "format": "carepath-scenario/1",
            "seed": seed,
            "service_time_cv": 0.3,
            "hospital": hospital,
            "arrivals": arrivals,
        }
    )


def test_a_report_left_out_for_a_full_room_is_planned_again_when_the_room_runs_ahead() -> None:
    scenario = _mri_morning(seed=13)
    never = run_day(scenario, ("carepath",), replace(QUICK, retry_seconds=0))[0].records["P11"]
    assert "report" in never.not_done, "planned at check-in only, the report stays left out"
    result = run_day(scenario, ("carepath",), QUICK)[0]
    late = result.records["P11"]
    scan = next(s for s in late.steps if s.task == "exam:MRI-KNEE")
    assert scan.end <= 14 * 60 + 25, "the room ran ahead of the plan"
    assert late.not_done == {}, "re-planned after the scan, they collect the report before going home"
    assert any(s.task == "report" and s.end <= 17 * 60 + 30 for s in late.steps)
