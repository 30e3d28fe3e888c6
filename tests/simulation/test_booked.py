"""`--booked-share` adds carepath_booked; `--reports-to-phone` sends everyone's results to the phone."""

from __future__ import annotations

import json

from click.testing import CliRunner

from navigation.simulation.booked import book_day
from navigation.simulation.command import simulate_command
from navigation.simulation.scenario import generate


def test_booked_patients_come_in_their_window_paid_and_fasting() -> None:
    day = generate(60, 2)
    booked = book_day(day, 0.7)
    assert len(booked.visits) > 30
    came = {a.patient: a for a in booked.scenario.arrivals}
    assert len(came) == 60 - len(booked.no_shows)
    for pid, visit in booked.visits.items():
        if pid in booked.no_shows:
            assert pid not in came
            continue
        arrival = came[pid]
        assert arrival.arrival_min <= visit.window_end
        assert arrival.paid_in_advance and arrival.fasting_confirmed
        steps = booked.scenario.steps_for(arrival)
        assert not isinstance(steps, str) and all(s.kind != "payment" for s in steps.steps)


def test_every_policy_line_says_time_on_site_and_visits() -> None:
    result = CliRunner().invoke(
        simulate_command,
        ["--patients", "40", "--seed", "3", "--json", "--policies", "walk_in", "--booked-share", "0.7"]
        + ["--reports-to-phone", "--improve-seconds", "0"],
    )
    assert result.exit_code == 0, result.output
    rows = {r["policy"]: r for r in map(json.loads, result.output.splitlines())}
    assert set(rows) == {"walk_in", "carepath_booked"}
    for row in rows.values():
        assert row["violations"] == 0
        assert row["mean_time_on_site_min"] <= row["mean_time_in_hospital_min"]
        assert row["p90_time_on_site_min"] > 0
        assert row["visits_per_patient"] >= 1
    booked = rows["carepath_booked"]
    assert booked["booked_patients"] > 0
    assert booked["patients"] == 40 - booked["no_shows"]
    assert 0 <= booked["mean_start_delay_min"] <= 30
    assert "booked_patients" not in rows["walk_in"]


def test_results_on_the_phone_mean_fewer_minutes_on_site() -> None:
    args = ["--patients", "40", "--seed", "3", "--json", "--policies", "walk_in"]
    desk = json.loads(CliRunner().invoke(simulate_command, args).output)
    phone = json.loads(CliRunner().invoke(simulate_command, [*args, "--reports-to-phone"]).output)
    assert phone["mean_time_on_site_min"] < desk["mean_time_on_site_min"]
    assert desk["visits_per_patient"] == 1
    assert phone["visits_per_patient"] > 1  # some went out while results were written
