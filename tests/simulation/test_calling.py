"""Who a free room calls next in the simulated day: as the live queues do."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from navigation.simulation.run import run_day
from navigation.simulation.scenario import parse_scenario
from tests.simulation.test_truth import QUICK, _fed, _hospital


def _ecg_day() -> Any:
    """Two ECG rooms on one floor; the one a patient is planned into breaks down
    for an hour at 09:00, unannounced (the FCFS plan never re-plans)."""
    hospital = _hospital({"code": "A2-09", "type": "ecg", "hours": ["08:00-12:00", "13:30-17:30"]})
    return parse_scenario(
        {
            "format": "carepath-scenario/1",
            "service_time_cv": 0,
            "hospital": hospital,
            "arrivals": [_fed("P1", "08:55", ["ECG"]), _fed("P2", "08:55", ["ECG"])],
            "room_pauses": [{"room": "A2-08", "start": "09:00", "end": "10:00"}],
        }
    )


def _ecg(shared: bool) -> dict[str, tuple[str | None, float]]:
    result = run_day(_ecg_day(), ("fcfs",), replace(QUICK, shared_lines=shared))[0]
    return {s.patient: (s.room, s.start) for s in result.steps if s.task == "exam:ECG"}


def test_a_patient_waiting_at_a_broken_down_room_is_called_by_the_departments_other_room() -> None:
    alone = _ecg(shared=False)
    stuck = next(p for p, (room, _) in alone.items() if room == "A2-08")
    assert alone[stuck][1] >= 10 * 60, "one line per room: they wait for the repair"
    shared = _ecg(shared=True)
    assert shared[stuck][0] == "A2-09", "the nurse next door calls them from the shared line"
    assert shared[stuck][1] < 9 * 60 + 30
