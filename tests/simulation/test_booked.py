"""`--booked-share` adds carepath_booked; `--reports-to-phone` sends everyone's results to the phone."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from navigation.booking.engine import DayBook, Hospital, desk_types, offer_days
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.booked import BOOKED_DAY, RULES, book_day
from navigation.simulation.command import simulate_command
from navigation.simulation.kpis import kpis
from navigation.simulation.run import run_day
from navigation.simulation.scenario import FORMAT, generate, parse_scenario


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


def test_with_results_on_the_phone_the_bound_is_the_bound_of_that_day() -> None:
    args = ["--patients", "40", "--seed", "1", "--json", "--policies", "fcfs,carepath"]
    desk = [json.loads(line) for line in CliRunner().invoke(simulate_command, args).output.splitlines()]
    run = CliRunner().invoke(simulate_command, [*args, "--reports-to-phone"]).output.splitlines()
    phone = [json.loads(line) for line in run]
    assert phone[0]["lower_bound_min"] < desk[0]["lower_bound_min"]  # nobody waits for a report desk
    done_everything = [r for r in phone if r["steps_not_done"] == 0]
    assert done_everything and all(
        r["lower_bound_min"] <= r["mean_time_in_hospital_min"] for r in done_everything
    )


def test_booked_patients_drink_for_their_scan_when_the_message_says() -> None:
    booked = book_day(generate(60, 2), 0.7)
    drinkers = 0
    for pid, visit in booked.visits.items():
        water = next((s for s in visit.steps if s.kind == "water"), None)
        assert booked.booked[pid].drank_water_min == (None if water is None else water.start)
        drinkers += water is not None and water.start < visit.window_start
    assert drinkers > 0, "the message's time to drink comes before the window opens"


def test_booked_patients_stop_eating_when_the_message_says() -> None:
    booked = book_day(generate(60, 2), 0.7)
    earlier = 0
    for pid, visit in booked.visits.items():
        assert booked.booked[pid].last_meal_min == visit.fasting_from
        earlier += visit.fasting_from is not None and visit.fasting_from < -120
    assert earlier > 0, "a 12-h draw early in the morning: nothing to eat from before 22:00"


@pytest.mark.parametrize("policy", ["walk_in", "carepath"])
def test_water_drunk_on_the_way_fills_the_bladder_before_arriving(policy: str) -> None:
    def patient(drank: str | None) -> dict:
        return {"patient": "P1", "time": "08:20", "orders": ["US-PELVIS"], "paid_in_advance": True,
                "drank_water": drank, "collects_reports": False}  # fmt: skip

    def day(drank: str | None) -> dict:
        scenario = parse_scenario({"format": FORMAT, "arrivals": [patient(drank)]})
        result = run_day(scenario, [policy])[0]
        return kpis(result, StraightLineWalking.for_rooms(scenario.rooms)) | {"record": result.records["P1"]}

    at_home, on_site = day("07:30"), day(None)
    scan = next(s for s in at_home["record"].steps if s.task == "exam:US-PELVIS")
    assert scan.start < 8 * 60 + 30, "scanned on arrival: the bladder filled on the way"
    assert at_home["violations"] == 0 and at_home["steps_not_done"] == 0
    assert at_home["mean_time_on_site_min"] <= on_site["mean_time_on_site_min"] - 40
    assert 0 <= at_home["mean_wait_min"] < 15, "the drinking at home is no time on site"


def test_the_simulated_hospital_keeps_its_reserve_when_walk_ins_come() -> None:
    booked = book_day(generate(60, 2), 0.7)
    morning = [s for v in booked.visits.values() for s in v.steps if s.station >= 0 and s.start < 12 * 60]
    assert len(morning) > 20
    for step in morning:  # the second half of every 90 min of the morning stays free
        assert (step.start - 8 * 60) % 90 + step.end - step.start <= 45, step


def test_a_colonoscopy_still_fits_a_morning_with_its_reserve() -> None:
    day = generate(60, 2)
    rooms = {r.code: r for r in day.rooms}
    hospital = Hospital(
        rooms, StraightLineWalking.for_rooms(day.rooms), day.entrance, desk_types(day.catalog)
    )
    empty = DayBook(hospital, RULES)
    visit = offer_days(day.catalog, hospital, ["COLONO"], BOOKED_DAY, lambda _: empty, RULES)[0].visits[0]
    colonoscopy = next(s for s in visit.steps if s.key == "exam:COLONO")
    assert visit.window_start <= 10 * 60 and colonoscopy.end <= 12 * 60
