"""Scenarios: the same seed gives the same day; files round-trip; bad files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from navigation.simulation.scenario import (
    ScenarioError,
    generate,
    load_scenario,
    parse_scenario,
    scenario_document,
)


def test_same_seed_same_day() -> None:
    assert scenario_document(generate(40, 7)) == scenario_document(generate(40, 7))
    assert scenario_document(generate(40, 7)) != scenario_document(generate(40, 8))


def test_rooms_scale_with_patients() -> None:
    assert len(generate(300, 1).rooms) > len(generate(60, 1).rooms)


def test_file_round_trip(tmp_path: Path) -> None:
    day = generate(15, 3)
    path = tmp_path / "day.json"
    path.write_text(json.dumps(scenario_document(day)), "utf-8")
    again = load_scenario(path)
    assert again.arrivals == day.arrivals
    assert [r.code for r in again.rooms] == [r.code for r in day.rooms]
    assert again.pauses == day.pauses


def test_demo_hospital_by_name() -> None:
    doc = {
        "format": "carepath-scenario/1",
        "hospital": "demo",
        "arrivals": [{"patient": "P1", "time": "08:10", "orders": ["GLU"], "last_meal": "yesterday 20:00"}],
    }
    scenario = parse_scenario(doc)
    assert scenario.arrivals[0].last_meal_min == -240
    assert any(r.code == "B2-01" for r in scenario.rooms)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"format": "other"}, "format"),
        ({"format": "carepath-scenario/1", "arrivals": [{"time": "08:00"}]}, "arrivals.0"),
        (
            {"format": "carepath-scenario/1", "arrivals": [{"time": "8h", "orders": ["GLU"]}]},
            "arrivals.0.time",
        ),
        (
            {"format": "carepath-scenario/1", "room_pauses": [{"room": "Z9", "start": "09:00"}]},
            "room_pauses.0.room",
        ),
    ],
)
def test_bad_scenarios_name_the_field(doc: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(doc)
