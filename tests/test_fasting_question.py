"""A patient checked in without saying whether they have eaten: the question comes first, and
the answer re-plans their day at once (issue 10, item 1)."""

from __future__ import annotations

from datetime import datetime

ORDERS = ("GLU", "LIPID", "US-ABD", "CT-ABD-C", "FOLLOWUP")


def by_key(journey: dict) -> dict[str, dict]:
    return {t["key"]: t for t in journey["tasks"]}


def next_key(journey: dict) -> str | None:
    return next((t["key"] for t in journey["tasks"] if t["id"] == journey["next_step_id"]), None)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_until_the_fasting_question_is_answered_the_next_step_is_the_question_or_payment(
    client, clock, check_in
):
    clock.advance(minutes=30)  # 09:00 at the hospital
    journey = check_in(*ORDERS)
    assert journey["pending_question"] == "fasting"
    assert next_key(journey) == "payment"
    steps = by_key(journey)
    for key in ("meal", "report", "exam:FOLLOWUP"):  # nothing that follows the fasting steps yet
        assert steps[key]["status"] == "requested", key
        assert steps[key]["planned_start"] is None, key
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    url = f"/api/v1/journeys/{journey['id']}"
    assert client.post(f"{url}/tasks/{steps['payment']['id']}/complete", headers=token).status_code == 200
    paid = client.get(url, headers=token).json
    assert paid["next_step_id"] is None and paid["pending_question"] == "fasting"
    assert paid["status"] == "active"


def test_the_answer_re_plans_at_once_and_leaves_no_stale_note(client, clock, check_in):
    clock.advance(minutes=30)
    journey = check_in(*ORDERS)
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    url = f"/api/v1/journeys/{journey['id']}"
    client.post(f"{url}/tasks/{by_key(journey)['payment']['id']}/complete", headers=token)
    answered = client.post(f"{url}/fasting", json={}, headers=token)
    assert answered.status_code == 200
    journey = answered.json
    assert journey["pending_question"] is None
    steps = by_key(journey)
    assert [k for k, s in steps.items() if s["plan_note"]] == []
    assert steps["draw:blood"]["planned_start"] and steps["exam:US-ABD"]["planned_start"]
    fasting_end = max(at(steps[k]["planned_end"]) for k in ("draw:blood", "exam:US-ABD"))
    assert at(steps["meal"]["planned_start"]) >= fasting_end
    assert steps["meal"]["status"] == "requested"
    assert next_key(journey) in ("draw:blood", "exam:US-ABD")
    # the report waits for the contrast CT's report, and the return visit for the report
    assert at(steps["report"]["planned_start"]) > at(steps["exam:CT-ABD-C"]["planned_end"])
    assert at(steps["exam:FOLLOWUP"]["planned_start"]) >= at(steps["report"]["planned_end"])
