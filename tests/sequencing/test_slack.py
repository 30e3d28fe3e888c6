"""Who a free room should call first: the step whose wait makes the patient's day longer."""

from __future__ import annotations

from navigation.sequencing.model import NO_STATION, Placement, Rule
from navigation.sequencing.slack import CALL_SLACK_CAP_MIN, CALL_SLACK_SHARE, call_delay, latest_starts


def _at(task: str, start: int, end: int, room: str | None = "R") -> Placement:
    return Placement("P", task, room, 0 if room else NO_STATION, start, end)


# a CT at 09:00 whose report is written in 4 h (collected 13:00), and an ECG at 09:30
CT_THEN_ECG = [_at("exam:CT", 540, 560), _at("exam:ECG", 570, 580), _at("report", 800, 805, None)]
REPORT_AFTER_CT = [Rule("exam:CT", "report", 240)]


def test_the_step_that_starts_the_report_clock_has_no_slack_the_other_has_until_the_report() -> None:
    latest = latest_starts(CT_THEN_ECG, REPORT_AFTER_CT)
    assert latest == {"exam:CT": 540, "exam:ECG": 790, "report": 800}
    assert call_delay(CT_THEN_ECG, REPORT_AFTER_CT, "exam:CT") == 0
    # the ECG may wait: counted as due later, but never more than the cap
    assert call_delay(CT_THEN_ECG, REPORT_AFTER_CT, "exam:ECG") == CALL_SLACK_CAP_MIN


def test_a_patient_whose_last_step_is_this_one_has_no_slack_and_done_steps_do_not_count() -> None:
    plan = [_at("exam:CT", 540, 560), _at("exam:ECG", 600, 610)]
    assert call_delay(plan, [], "exam:ECG") == 0
    assert call_delay(plan, [], "exam:CT", done=()) == CALL_SLACK_SHARE * 40  # may slide up to the ECG
    assert call_delay(plan, [], "exam:ECG", done=["exam:CT"]) == 0
    assert call_delay([], [], "exam:ECG") == 0


def test_a_stale_plan_never_makes_a_step_more_urgent_than_its_planned_start() -> None:
    # the report rule says the CT is already late for its planned report time
    plan = [_at("exam:CT", 600, 620), _at("report", 700, 705, None)]
    assert call_delay(plan, REPORT_AFTER_CT, "exam:CT") == 0
