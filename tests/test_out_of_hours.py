"""A patient checked in after the rooms have closed is told plainly to come back tomorrow,
fasting, never to eat first (issue 10, item 2)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def test_an_evening_check_in_says_come_back_tomorrow_before_opening_without_eating(client, clock, check_in):
    clock.advance(hours=12)  # 20:30 at the hospital
    journey = check_in("GLU", "LIPID", "US-ABD", "CT-ABD-C", "FOLLOWUP")
    assert journey["next_step_id"] is None  # never "you may eat and drink now"
    assert journey["pending_question"] is None
    assert journey["come_back"] == {"at": "07:30", "fasting": True}  # the blood draw opens first
    meal = next(t for t in journey["tasks"] if t["kind"] == "meal")
    assert meal["status"] == "requested"


def test_a_day_that_can_still_start_needs_no_come_back(check_in):
    assert check_in("ECG")["come_back"] is None


def test_a_phone_polling_past_closing_time_is_told_to_come_back(client, clock, check_in):
    clock.advance(hours=8, minutes=50)  # 17:20: the ECG rooms close at 17:30, too soon for the exam
    journey = check_in("ECG")
    url = f"/api/v1/journeys/{journey['id']}"
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    before = client.get(url, headers=token)
    assert before.json["come_back"] is None

    clock.advance(minutes=5)  # 17:25: the view is the same, so the phone's ETag still holds
    assert client.get(url, headers={**token, "If-None-Match": before.headers["ETag"]}).status_code == 304

    clock.advance(minutes=10)  # nothing changed but the clock: the rooms have closed
    after = client.get(url, headers={**token, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json["come_back"] == {"at": "08:00", "fasting": False}


def _local_minutes(text: str) -> int:
    local = datetime.fromisoformat(text).astimezone(ZoneInfo("Asia/Shanghai"))
    return local.hour * 60 + local.minute


def test_an_evening_check_in_gives_no_step_a_time_after_closing(client, clock, check_in):
    """Paying and eating have opening hours too: at 20:30 neither is planned "now"; the day
    waits for tomorrow, and the answer about fasting changes nothing."""
    clock.advance(hours=12)  # 20:30 at the hospital: the cashiers closed at 17:30
    journey = check_in("GLU", "LIPID", "US-ABD", "ECG")
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    journey = client.post(f"/api/v1/journeys/{journey['id']}/fasting", json={}, headers=token).json
    planned = {t["key"]: t["planned_start"] for t in journey["tasks"] if t["planned_start"]}
    assert planned == {}
    steps = {t["key"]: t for t in journey["tasks"]}
    assert steps["payment"]["plan_category"] and steps["meal"]["plan_category"]
    assert journey["next_step_id"] is None
    assert journey["come_back"] == {"at": "07:30", "fasting": True}


def test_a_late_afternoon_check_in_plans_payment_only_while_the_cashier_is_open(client, clock, check_in):
    clock.advance(hours=8, minutes=58)  # 17:28: two minutes before the cashiers close
    journey = check_in("CBC")
    steps = {t["key"]: t for t in journey["tasks"]}
    assert steps["payment"]["planned_start"] is None
    assert "17:28" in steps["payment"]["plan_note"]
    for step in journey["tasks"]:
        if step["planned_start"]:
            assert _local_minutes(step["planned_end"]) <= 17 * 60 + 30, step
