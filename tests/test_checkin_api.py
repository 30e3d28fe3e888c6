"""Reception checks a patient in; the answer is the patient's journey and task list."""

from __future__ import annotations

import sqlalchemy as sa

from api.background import PlanImprover
from navigation.models import IdempotencyKey
from tests.conftest import check_in_body


def keys(journey: dict) -> list[str]:
    return [t["key"] for t in journey["tasks"]]


def test_check_in_returns_journey_with_access_link_and_ordered_steps(check_in):
    journey = check_in("GLU", "US-ABD", "ECG", "FOLLOWUP")
    assert journey["access_url"] == f"https://carepath.test/p/{journey['access_token']}"
    assert keys(journey) == [
        "payment",
        "draw:blood",
        "exam:US-ABD",
        "meal",
        "exam:ECG",
        "report",
        "exam:FOLLOWUP",
    ]
    assert journey["tasks"][0]["status"] == "ready"
    assert all(t["status"] == "requested" for t in journey["tasks"][1:])
    assert journey["next_step_id"] == journey["tasks"][0]["id"]
    blood = journey["tasks"][1]
    assert blood["room"]["code"] == "A2-01" and blood["room"]["floor"] == "2F"
    assert blood["fasting_hours"] == 8


def test_patient_reads_own_journey_with_access_token_only(client, check_in):
    mine = check_in("ECG")
    other = check_in("XR-CHEST", visit="V0002", mrn="MRN002")
    token = {"Authorization": f"Bearer {mine['access_token']}"}
    assert client.get(f"/api/v1/journeys/{mine['id']}", headers=token).status_code == 200
    refused = client.get(f"/api/v1/journeys/{other['id']}", headers=token)
    assert refused.status_code == 404
    assert client.get(f"/api/v1/journeys/{mine['id']}").status_code == 401
    forged = {"Authorization": f"Bearer {mine['access_token'][:-2]}xx"}
    assert client.get(f"/api/v1/journeys/{mine['id']}", headers=forged).status_code == 404


def test_idempotent_retry_returns_the_same_journey(client, reception):
    body = check_in_body("ECG")
    headers = {**reception, "Idempotency-Key": "scan-7f3a"}
    first = client.post("/api/v1/journeys", json=body, headers=headers)
    again = client.post("/api/v1/journeys", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert again.json["access_token"] == first.json["access_token"]
    changed = client.post("/api/v1/journeys", json=check_in_body("XR-CHEST"), headers=headers)
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json["errors"]["json"]


def test_an_idempotency_key_lives_a_day_then_a_retry_is_a_new_request(client, reception, clock):
    headers = {**reception, "Idempotency-Key": "scan-7f3a"}
    first = client.post("/api/v1/journeys", json=check_in_body("ECG"), headers=headers)
    assert first.status_code == 201
    tomorrow = check_in_body("XR-CHEST", visit="V0002", mrn="MRN002")
    clock.advance(hours=23, minutes=59)
    assert client.post("/api/v1/journeys", json=tomorrow, headers=headers).status_code == 422  # still used
    clock.advance(minutes=2)
    later = client.post("/api/v1/journeys", json=tomorrow, headers=headers)
    assert later.status_code == 201 and later.json["id"] != first.json["id"]
    again = client.post("/api/v1/journeys", json=tomorrow, headers=headers)
    assert again.status_code == 200 and again.json["id"] == later.json["id"]


def test_the_background_round_deletes_expired_keys(app, client, reception, clock, session, monkeypatch):
    monkeypatch.setitem(app.config, "IMPROVE_SECONDS", 0.2)
    for n, hours_later in enumerate((0, 12)):
        clock.advance(hours=hours_later)
        body = check_in_body("ECG", visit=f"V{n}", mrn=f"M{n}")
        response = client.post(
            "/api/v1/journeys", json=body, headers={**reception, "Idempotency-Key": f"k{n}"}
        )
        assert response.status_code == 201
    clock.advance(hours=13)  # the first key is a day and an hour old, the second 13 hours
    PlanImprover(app).run_once()
    session.expire_all()
    assert session.scalars(sa.select(IdempotencyKey.key)).all() == ["k1"]


def test_same_visit_twice_without_key_is_a_conflict(check_in):
    check_in("ECG")
    error = check_in("ECG", expect=409)
    assert "visit_number" in error["errors"]["json"]


def test_unknown_exam_code_names_the_field_and_writes_nothing(client, check_in, reception):
    error = check_in("ECG", "NOPE", expect=422)
    assert error["errors"]["json"] == {"orders.1.code": ["unknown exam code 'NOPE'"]}
    assert client.post("/api/v1/journeys", json=check_in_body("ECG"), headers=reception).status_code == 201


def test_malformed_bodies_get_422_naming_fields(client, reception):
    cases = [
        ({}, {"visit_number", "patient", "orders"}),
        ({**check_in_body("ECG"), "orders": []}, {"orders"}),
        (
            {
                **check_in_body("ECG"),
                "patient": {"mrn": "1", "name": "x", "language": "fr", "mobility": "run"},
            },
            {"patient"},
        ),
    ]
    for body, fields in cases:
        response = client.post("/api/v1/journeys", json=body, headers=reception)
        assert response.status_code == 422, body
        assert response.json["code"] == 422 and response.json["message"]
        assert fields <= set(response.json["errors"]["json"]), response.json
    not_json = client.post(
        "/api/v1/journeys", data="{oops", headers={**reception, "Content-Type": "application/json"}
    )
    assert not_json.status_code in (400, 422) and not_json.json["message"]


def test_naive_last_meal_time_is_refused(client, reception):
    body = check_in_body("GLU", last_meal_at="2026-11-25T07:00:00")
    response = client.post("/api/v1/journeys", json=body, headers=reception)
    assert response.status_code == 422
    assert "last_meal_at" in response.json["errors"]["json"]["patient"]


def test_nurse_cannot_check_in_and_anonymous_cannot_either(client, nurse):
    assert client.post("/api/v1/journeys", json=check_in_body("ECG"), headers=nurse).status_code == 403
    anonymous = client.post("/api/v1/journeys", json=check_in_body("ECG"))
    assert anonymous.status_code == 401 and anonymous.json["message"]


def test_order_with_no_room_in_this_hospital_is_refused(client, session, check_in):
    from navigation.models import Room, RoomStatus

    for room in session.query(Room).filter(Room.room_type == "mri"):
        room.status = RoomStatus.CLOSED
    session.commit()
    error = check_in("ECG", "MRI-BRAIN", expect=422)
    assert error["errors"]["json"] == {"orders.1.code": ["no open room at this hospital performs MRI-BRAIN"]}


def test_check_in_is_audit_logged(session, check_in):
    from navigation.models import AuditRecord

    journey = check_in("ECG")
    record = session.query(AuditRecord).filter_by(action="journey.check_in").one()
    assert record.actor == "reception" and record.target_id == str(journey["id"])


def test_staff_reads_of_a_journey_are_audit_logged_and_patient_reads_are_not(
    client, session, nurse, check_in
):
    from navigation.models import AuditRecord

    journey = check_in("ECG")
    client.get(
        f"/api/v1/journeys/{journey['id']}", headers={"Authorization": f"Bearer {journey['access_token']}"}
    )
    assert session.query(AuditRecord).filter_by(action="journey.read").count() == 0
    client.get(f"/api/v1/journeys/{journey['id']}", headers=nurse)
    read = session.query(AuditRecord).filter_by(action="journey.read").one()
    assert (read.actor, read.target_id) == ("nurse", str(journey["id"]))
