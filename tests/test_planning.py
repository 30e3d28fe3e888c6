"""Check-in plans the new patient into the live day: rooms, times, and what cannot be done today."""

from __future__ import annotations

from datetime import datetime, timedelta


def by_key(journey: dict) -> dict[str, dict]:
    return {t["key"]: t for t in journey["tasks"]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_every_step_gets_a_room_and_time_in_rule_order(check_in):
    journey = check_in("GLU", "US-ABD", "CT-ABD-C", "ECG", fasting_confirmed=True)
    steps = by_key(journey)
    assert all(s["planned_start"] for s in steps.values()), steps
    assert at(steps["draw:blood"]["planned_start"]) >= at(steps["payment"]["planned_end"])
    assert at(steps["meal"]["planned_start"]) >= at(steps["exam:US-ABD"]["planned_end"])
    # the contrast CT waits an hour for the kidney result from the blood draw
    gap = at(steps["exam:CT-ABD-C"]["planned_start"]) - at(steps["draw:blood"]["planned_end"])
    assert gap.total_seconds() >= 3600
    assert steps["exam:CT-ABD-C"]["room"]["code"] == "B1-07"
    timed = sorted(
        (at(s["planned_start"]), at(s["planned_end"]), k)
        for k, s in steps.items()
        if s["room"] and not s["self_service"]
    )
    for (_, end, _), (start, _, _) in zip(timed, timed[1:], strict=False):
        assert start >= end  # one place at a time


def test_fasting_steps_wait_for_confirmation_when_the_last_meal_is_unknown(check_in):
    steps = by_key(check_in("GLU", "ECG"))
    assert steps["draw:blood"]["planned_start"] is None
    assert "fasting" in steps["draw:blood"]["plan_note"]
    assert steps["exam:ECG"]["planned_start"] is not None  # the rest of the day still planned


def test_a_recent_meal_pushes_the_fasting_draw_to_when_fasting_is_long_enough(check_in):
    journey = check_in("GLU", "ECG", last_meal_at="2026-11-24T23:00:00+00:00", visit="V7", mrn="M7")
    draw = by_key(journey)["draw:blood"]
    if draw["planned_start"] is None:
        assert "fasting" in draw["plan_note"]
    else:
        assert at(draw["planned_start"]) >= at("2026-11-25T07:00:00+00:00")


def test_patients_share_rooms_without_double_booking_a_station(check_in):
    journeys = [check_in("ECHO", visit=f"V{i}", mrn=f"M{i}") for i in range(4)]
    echo = sorted(
        (at(by_key(j)["exam:ECHO"]["planned_start"]), by_key(j)["exam:ECHO"]["room"]["code"])
        for j in journeys
    )
    per_room: dict[str, list[datetime]] = {}
    for start, room in echo:
        per_room.setdefault(room, []).append(start)
    for room, starts in per_room.items():
        stations = 2 if room == "A3-10" else 1
        for i, start in enumerate(starts[stations:], start=stations):
            assert (start - starts[i - stations]).total_seconds() >= 30 * 60, (room, starts)


def test_background_improvement_never_makes_the_day_worse_or_breaks_a_rule(app, session, check_in):
    from api.jobs import improve_day
    from navigation.models import TaskDependency

    for i in range(6):
        check_in("US-ABD", "ECG", "XR-CHEST", "CT-ABD-C", visit=f"V{i}", mrn=f"M{i}", fasting_confirmed=True)
    improvement = improve_day("demo", 1.0)
    assert improvement.result.cost_after <= improvement.result.cost_before
    session.expire_all()
    checked = 0
    for dep in session.query(TaskDependency):
        first, then = dep.before, dep.after
        if first.planned_end and then.planned_start:
            assert (then.planned_start - first.planned_end).total_seconds() >= dep.min_gap_min * 60, (
                dep.reason
            )
            checked += 1
    assert checked > 30


def test_the_next_step_is_the_open_one_planned_soonest(client, check_in):
    journey = check_in("ECG", "XR-CHEST", "ECHO")
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    client.post(f"/api/v1/journeys/{journey['id']}/tasks/{journey['tasks'][0]['id']}/complete", headers=token)
    now = client.get(f"/api/v1/journeys/{journey['id']}", headers=token).json
    ready = [t for t in now["tasks"] if t["status"] == "ready"]
    assert len(ready) == 3
    soonest = min(ready, key=lambda t: t["planned_start"])
    assert now["next_step_id"] == soonest["id"]


def test_a_patient_who_confirms_fasting_on_the_phone_gets_the_fasting_steps_planned(
    client, session, check_in
):
    journey = check_in("GLU", "US-ABD", "ECG")
    assert by_key(journey)["draw:blood"]["planned_start"] is None
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    answered = client.post(f"/api/v1/journeys/{journey['id']}/fasting", json={}, headers=token)
    assert answered.status_code == 200 and answered.json["fasting_confirmed"] is True
    steps = by_key(answered.json)
    assert steps["draw:blood"]["planned_start"] and steps["draw:blood"]["plan_note"] is None
    assert at(steps["meal"]["planned_start"]) >= at(steps["exam:US-ABD"]["planned_end"])
    from notifications import OutboxMessage

    assert session.query(OutboxMessage).filter_by(journey_id=journey["id"], event="plan_changed").count() == 1
    future = client.post(
        f"/api/v1/journeys/{journey['id']}/fasting",
        json={"last_meal_at": "2030-01-01T00:00:00+00:00"},
        headers=token,
    )
    assert future.status_code == 422 and "last_meal_at" in future.json["errors"]["json"]


def test_an_exam_takes_the_minutes_its_room_type_needs(app, session, check_in):
    from navigation.models import Room, RoomStatus

    plain = check_in("CT-HEAD", visit="V1", mrn="M1")["tasks"]
    ct = next(t for t in plain if t["key"] == "exam:CT-HEAD")
    assert ct["room"]["code"] in {r.code for r in session.query(Room).filter_by(room_type="ct")}
    assert at(ct["planned_end"]) - at(ct["planned_start"]) == timedelta(minutes=10)
    for room in session.query(Room).filter_by(room_type="ct"):
        room.status = RoomStatus.CLOSED  # only the contrast suite is left: its slot is 15 minutes
    session.commit()
    suite = by_key(check_in("CT-HEAD", visit="V2", mrn="M2"))["exam:CT-HEAD"]
    assert suite["room"]["code"] in {r.code for r in session.query(Room).filter_by(room_type="ct_contrast")}
    assert at(suite["planned_end"]) - at(suite["planned_start"]) == timedelta(minutes=15)


def test_a_fasting_test_that_cannot_happen_today_holds_back_neither_meal_nor_reports(
    client, session, check_in, reception
):
    journey = check_in("LIPID", "ECG", visit="V3", mrn="M3")
    steps = by_key(journey)
    assert steps["draw:blood"]["planned_start"] is None  # last meal unknown: asked on the phone
    assert steps["meal"]["status"] == "requested"  # no eating before the patient has answered
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    # ate at 08:00 local: a 12 h fast would end at 20:00, after the lab closes
    answered = client.post(
        f"/api/v1/journeys/{journey['id']}/fasting",
        json={"last_meal_at": "2026-11-25T00:00:00+00:00"},
        headers=token,
    )
    assert answered.status_code == 200
    steps = by_key(answered.json)
    assert steps["draw:blood"]["plan_category"] == "fasting"  # the patient's words for it
    staff_view = by_key(client.get(f"/api/v1/journeys/{journey['id']}", headers=reception).json)
    assert "after 20:00" in staff_view["draw:blood"]["plan_note"]  # when the 12 h fast would end
    assert steps["meal"]["status"] == "ready"
    for key in ("meal", "report"):  # planned: they only follow the draw when it happens
        assert steps[key]["planned_start"] and steps[key]["plan_category"] is None
    from notifications import OutboxMessage

    # "your fasting exams are done" would be untrue: no such push
    assert session.query(OutboxMessage).filter_by(journey_id=journey["id"], event="may_eat").count() == 0


def test_a_patient_who_ate_breakfast_may_eat_from_check_in_when_the_fasting_test_must_wait(check_in):
    # breakfast at 07:30 local: the lipid test's 12-hour fast cannot end before the lab closes
    steps = by_key(check_in("LIPID", "ECG", last_meal_at="2026-11-24T23:30:00+00:00", visit="V4", mrn="M4"))
    assert "19:30" in steps["draw:blood"]["plan_note"]  # when the fast would end: after closing
    assert steps["meal"]["status"] == "ready"
