"""A receptionist's double tap on a slow network sends the same check-in twice at once: on
PostgreSQL both requests really run concurrently, and the patient still gets one journey."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from tests.conftest import check_in_body

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer at a time)")


def check_ins_at_once(app, requests: list[tuple[dict, dict]]) -> list[tuple[int, dict]]:
    """POST each (body, headers) check-in from its own thread, released together."""
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[int, dict]] = []

    def desk(body: dict, headers: dict) -> None:
        with app.test_client() as client:
            barrier.wait()
            response = client.post("/api/v1/journeys", json=body, headers=headers)
            answers.append((response.status_code, response.json))

    threads = [threading.Thread(target=desk, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_the_same_check_in_sent_twice_at_once_creates_one_journey(app, session, reception):
    from navigation.models import Journey

    body = check_in_body("ECG", "XR-CHEST", visit="V-DOUBLE", mrn="M-NEW")
    headers = {**reception, "Idempotency-Key": "tap-1"}
    answers = check_ins_at_once(app, [(body, headers)] * 2)
    assert sorted(status for status, _ in answers) == [200, 201], answers
    assert answers[0][1]["id"] == answers[1][1]["id"]
    session.expire_all()
    assert session.query(Journey).filter_by(visit_number="V-DOUBLE").count() == 1


def test_two_receptionists_checking_in_the_same_visit_at_once_get_one_journey_and_a_conflict(
    app, session, reception
):
    from navigation.models import Journey

    body = check_in_body("ECG", visit="V-TWICE", mrn="M-NEW2")
    answers = check_ins_at_once(app, [(body, reception)] * 2)
    assert sorted(status for status, _ in answers) == [201, 409], answers
    conflict = next(body for status, body in answers if status == 409)
    assert "visit_number" in str(conflict["errors"])
    session.expire_all()
    assert session.query(Journey).filter_by(visit_number="V-TWICE").count() == 1


def test_two_desks_checking_patients_in_at_once_never_book_the_same_slot(app, reception):
    """The lung-function room has one station: two patients cannot share its first free slot."""
    bodies = [check_in_body("PFT", visit=f"V-PFT{n}", mrn=f"M-PFT{n}") for n in range(2)]
    answers = check_ins_at_once(app, [(body, reception) for body in bodies])
    pft = sorted(
        (datetime.fromisoformat(t["planned_start"]), datetime.fromisoformat(t["planned_end"]))
        for _, journey in answers
        for t in journey["tasks"]
        if t["key"] == "exam:PFT"
    )
    assert len(pft) == 2
    assert pft[1][0] >= pft[0][1], pft  # one after the other
