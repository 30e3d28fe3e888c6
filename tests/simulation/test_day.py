"""The simulated day: CarePath keeps every rule and beats the FCFS plan on a small day."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.bound import lower_bound
from navigation.simulation.command import simulate_command
from navigation.simulation.kpis import add_bound, kpis
from navigation.simulation.policies import PlannedOptions
from navigation.simulation.run import run_day
from navigation.simulation.scenario import generate
from navigation.simulation.simulator import service_multiplier

QUICK = PlannedOptions(checkin_seconds=0.1, improve_seconds=0.15, replan_seconds=0.2)


@pytest.fixture(scope="module")
def small_day() -> dict[str, dict]:
    scenario = generate(45, 11)
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    rows = [kpis(r, walking) for r in run_day(scenario, options=QUICK)]
    add_bound(rows, lower_bound(scenario))
    return {row["policy"]: row for row in rows}


def test_carepath_keeps_every_rule(small_day: dict[str, dict]) -> None:
    assert small_day["carepath"]["violations"] == 0
    assert small_day["fcfs"]["violations"] >= 0
    assert small_day["walk_in"]["violations"] == 0, "departments refuse steps that break a rule"
    # ... so unguided patients who ate too early come back another day
    assert small_day["walk_in"]["revisit_patients"] > small_day["carepath"]["revisit_patients"]


def test_plans_beat_the_fixed_order_plan(small_day: dict[str, dict]) -> None:
    # CarePath and the strong FCFS are within a few minutes of each other (docs/sequencing.md);
    # both beat planning every patient in the catalog's fixed order
    fixed = small_day["fcfs_catalog_order"]
    for policy in ("fcfs", "carepath"):
        row = small_day[policy]
        assert row["mean_time_in_hospital_min"] < fixed["mean_time_in_hospital_min"], policy
        assert row["p90_time_in_hospital_min"] <= fixed["p90_time_in_hospital_min"] + 15, policy
        assert row["gap_closed"] > 0, policy


def test_same_draws_for_every_policy() -> None:
    assert service_multiplier(3, "P1", "exam:ECG", 0.2) == service_multiplier(3, "P1", "exam:ECG", 0.2)
    assert service_multiplier(3, "P1", "exam:ECG", 0.0) == 1.0


def test_command_json_plots_and_plan(tmp_path: Path) -> None:
    runner = CliRunner()
    plan = tmp_path / "plan.jsonl"
    result = runner.invoke(
        simulate_command,
        ["--patients", "12", "--seed", "4", "--json", "--plots", str(tmp_path / "plots"),
         "--plan-out", str(plan), "--improve-seconds", "0.05"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["policy"] for r in rows] == ["walk_in", "fcfs_catalog_order", "fcfs", "carepath"]
    keys = {"mean_time_in_hospital_min", "p90_time_in_hospital_min", "mean_wait_min", "mean_walk_m",
            "mean_fasting_min", "violations", "utilisation", "solve_seconds", "steps_not_done",
            "refused_patients", "revisit_patients", "mean_time_on_site_min", "lower_bound_min",
            "gap_closed"}  # fmt: skip
    assert all(keys <= set(r) for r in rows)
    assert len({r["lower_bound_min"] for r in rows}) == 1, "one bound for the day"
    assert next(r for r in rows if r["policy"] == "fcfs_catalog_order")["gap_closed"] == 0
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "gantt_carepath.png", "gantt_fcfs.png", "gantt_fcfs_catalog_order.png", "gantt_walk_in.png",
        "queues.png",
    ]  # fmt: skip
    steps = [json.loads(line) for line in plan.read_text().splitlines()]
    assert {s["policy"] for s in steps} == {"walk_in", "fcfs_catalog_order", "fcfs", "carepath"}
    assert {"policy", "patient", "task", "exam_code", "room", "start", "end"} <= set(steps[0])


def test_command_needs_one_source() -> None:
    result = CliRunner().invoke(simulate_command, [])
    assert result.exit_code == 2
    assert "--scenario FILE or --patients N" in result.output


def test_command_names_a_bad_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "nope"}')
    result = CliRunner().invoke(simulate_command, ["--scenario", str(bad)])
    assert result.exit_code == 1
    assert "format" in result.output


def test_bad_input_is_named_not_crashed(tmp_path: Path) -> None:
    hospital = {
        "rooms": [
            {"code": "A1-01", "type": "reception", "hours": ["07:30-17:30"]},
            {"code": "A1-10", "type": "report_desk", "hours": ["07:30-17:30"]},
            {"code": "A2-08", "type": "ecg", "hours": ["08:00-12:00"]},
        ]
    }
    doc = {
        "format": "carepath-scenario/1",
        "hospital": hospital,
        "arrivals": [
            {"patient": "P1", "time": "08:00", "orders": ["COLONO", "BA-UGI"]},
            {"patient": "P2", "time": "08:05", "orders": ["MRI-BRAIN", "ECG"]},
        ],
    }
    path = tmp_path / "bad-day.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(simulate_command, ["--scenario", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["policy"]: r for r in map(json.loads, result.stdout.splitlines())}
    for row in rows.values():
        assert row["refused_patients"] == 1  # colonoscopy and barium on one day
    assert rows["carepath"]["steps_not_done"] >= 1  # no MRI room: named, the ECG still done
    assert rows["carepath"]["violations"] == 0
