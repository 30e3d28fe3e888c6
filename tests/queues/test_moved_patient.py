"""A patient moved by a room pause is not lost: the phone follows their live place in line
(issue 10, item 3)."""

from __future__ import annotations

from tests.queues.conftest import as_patient, step


def test_the_phone_follows_the_moved_ticket_and_the_patient_stays_in_one_line(
    client, nurse, check_in, clock, messages
):
    journey = check_in("ECG", "XR-CHEST", "PFT", fasting_confirmed=True)
    me = as_patient(journey)
    url = f"/api/v1/journeys/{journey['id']}"
    client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=me)
    journey = client.get(url, headers=me).json
    first = step(journey, "exam:ECG")
    clock.advance(minutes=2)
    assert client.post(f"{url}/tasks/{first['id']}/arrive", headers=me).status_code == 200
    room = first["room"]["code"]
    paused = client.post(
        f"/api/v1/queues/rooms/{room}/pause",
        json={"reason": "centrifuge maintenance", "minutes": 40},
        headers=nurse,
    )
    assert paused.status_code == 200, paused.json
    assert "1 patient(s) sent" in paused.json["message"]
    journey = client.get(url, headers=me).json
    [ticket] = client.get(f"/api/v1/queues/journeys/{journey['id']}", headers=me).json
    assert journey["next_step_id"] == first["id"]  # still the step they are in line for
    assert ticket["task_id"] == first["id"] and ticket["room"] != room
    assert step(journey, first["key"])["room"]["code"] == ticket["room"]
    assert [m.event for m in messages(journey["id"])][-1] == "plan_changed"  # a push for the move
    # "I'm here" at another step while in line is refused: one line at a time
    other = next(
        t
        for t in journey["tasks"]
        if t["status"] == "ready" and t["id"] != first["id"] and not t["self_service"]
    )
    twice = client.post(f"{url}/tasks/{other['id']}/arrive", headers=me)
    assert twice.status_code == 409 and ticket["ticket"] in twice.json["message"]
    # the room opens again: the pause note is gone
    assert client.post(f"/api/v1/queues/rooms/{room}/resume", headers=nurse).status_code == 200
    journey = client.get(url, headers=me).json
    assert step(journey, first["key"])["status_reason"] is None
