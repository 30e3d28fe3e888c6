"""A step whose prerequisites are not met is refused at every door: "I'm here", call and start
say why and from when, unless a nurse overrides with a reason (issue 10, item 4)."""

from __future__ import annotations

from navigation.models import AuditRecord
from tests.queues.conftest import as_patient, step


def _draw_done(client, nurse, clock, journey: dict) -> None:
    """The kidney blood draw is taken and finished through the lab's line."""
    draw = step(journey, "draw:blood")
    here = client.post(
        f"/api/v1/journeys/{journey['id']}/tasks/{draw['id']}/arrive", headers=as_patient(journey)
    )
    assert here.status_code == 200, here.json
    room = draw["room"]["code"]
    called = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse).json
    entry = called["entry"]["id"]
    clock.advance(minutes=2)
    assert client.post(f"/api/v1/queues/entries/{entry}/complete", headers=nurse).status_code == 200


def test_a_contrast_ct_waiting_for_the_kidney_result_is_refused_at_arrival_and_start(
    client, session, nurse, clock, waiting_patient
):
    patient = waiting_patient("CT-ABD-C", key="draw:blood", arrive=False, fasting_confirmed=True)
    journey = patient["journey"]
    _draw_done(client, nurse, clock, journey)
    url = f"/api/v1/journeys/{journey['id']}"
    ct = step(client.get(url, headers=as_patient(journey)).json, "exam:CT-ABD-C")
    assert ct["status"] == "ready" and ct["not_before"]
    # 30 min after the draw, half an hour before the result: "I'm here" is refused with the time
    clock.advance(minutes=30)
    early = client.post(f"{url}/tasks/{ct['id']}/arrive", headers=as_patient(journey))
    assert early.status_code == 409
    assert "09:33" in early.json["message"] and "RENAL" in early.json["message"]
    # 5 minutes before the time the patient may wait at the door; neither call nor start yet
    clock.advance(minutes=25)
    assert client.post(f"{url}/tasks/{ct['id']}/arrive", headers=as_patient(journey)).status_code == 200
    room = ct["room"]["code"]
    call = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert call.status_code == 409
    board = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json
    entry = next(e for e in board["entries"] if e["task_id"] == ct["id"])
    start = client.post(f"/api/v1/queues/entries/{entry['id']}/start", json={}, headers=nurse)
    assert start.status_code == 409 and "09:33" in start.json["message"]
    # a nurse may override, with a reason that is kept
    forced = client.post(
        f"/api/v1/queues/entries/{entry['id']}/start",
        json={"override_reason": "result phoned through by the lab"},
        headers=nurse,
    )
    assert forced.status_code == 200, forced.json
    audit = session.query(AuditRecord).filter_by(action="queue.override").one()
    assert audit.detail["reason"] == "result phoned through by the lab"


def test_a_fast_still_running_after_payment_keeps_the_blood_draw_shut(client, waiting_patient):
    # breakfast at 08:00 hospital time: the 8-hour fast for glucose ends at 16:00
    patient = waiting_patient("GLU", key="draw:blood", arrive=False, last_meal_at="2026-11-25T00:00:00+00:00")
    journey, draw = patient["journey"], patient["task"]
    assert draw["status"] == "ready" and draw["not_before"].startswith("2026-11-25T08:00")
    here = client.post(
        f"/api/v1/journeys/{journey['id']}/tasks/{draw['id']}/arrive", headers=as_patient(journey)
    )
    assert here.status_code == 409 and "16:00" in here.json["message"]
