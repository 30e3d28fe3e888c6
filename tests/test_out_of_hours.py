"""A patient checked in after the rooms have closed is told plainly to come back tomorrow,
fasting, never to eat first (issue 10, item 2)."""

from __future__ import annotations


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

    clock.advance(minutes=15)  # nothing changed but the clock: the rooms have closed
    after = client.get(url, headers={**token, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json["come_back"] == {"at": "08:00", "fasting": False}
