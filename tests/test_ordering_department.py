"""The return visit goes back to the department that ordered the exams, after their results
(issue 10, item 4): orders carry their ordering department, clinics belong to one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import check_in_body


def _check_in(client, reception, *orders: dict, expect: int = 201) -> dict:
    body = check_in_body("ECG")
    body["orders"] = list(orders)
    response = client.post("/api/v1/journeys", json=body, headers=reception)
    assert response.status_code == expect, response.json
    return response.json


def _step(journey: dict, key: str) -> dict:
    return next(t for t in journey["tasks"] if t["key"] == key)


@pytest.mark.parametrize(
    ("visit_department", "clinic"),
    [(None, "A3-03"), ("endocrinology", "A3-04")],  # the visit's own order says, else the other orders
)
def test_the_return_visit_goes_to_the_ordering_department_after_the_results(
    client, reception, visit_department, clinic
):
    journey = _check_in(
        client,
        reception,
        {"code": "ECG", "department": "cardiology"},
        {"code": "FOLLOWUP", "department": visit_department},
    )
    ecg, visit = _step(journey, "exam:ECG"), _step(journey, "exam:FOLLOWUP")
    assert visit["room"]["code"] == clinic
    assert visit["department"] == (visit_department or "cardiology")
    report_due = datetime.fromisoformat(ecg["planned_end"]) + timedelta(minutes=15)
    assert datetime.fromisoformat(visit["planned_start"]) >= report_due


def test_a_paused_clinic_does_not_send_the_patient_to_another_department(client, reception, nurse):
    journey = _check_in(client, reception, {"code": "ECG", "department": "cardiology"}, {"code": "FOLLOWUP"})
    pause = client.post(
        "/api/v1/queues/rooms/A3-03/pause",
        json={"reason": "doctor called away", "minutes": 60},
        headers=nurse,
    )
    assert pause.status_code == 200, pause.json
    token = {"Authorization": f"Bearer {journey['access_token']}"}
    after = client.get(f"/api/v1/journeys/{journey['id']}", headers=token).json
    visit = _step(after, "exam:FOLLOWUP")
    assert visit["room"]["code"] == "A3-03"
    reopens = datetime.fromisoformat(journey["created_at"]) + timedelta(minutes=60)
    assert datetime.fromisoformat(visit["planned_start"]) >= reopens


def test_an_unknown_ordering_department_is_refused_by_name(client, reception):
    refused = _check_in(
        client, reception, {"code": "ECG", "department": "astrology"}, {"code": "FOLLOWUP"}, expect=422
    )
    assert "orders.0.department" in str(refused)
