"""A patient at a room says "I'm here" (phone or the room's QR code); the wrong room says where
to go; the public screen and the API document show what they promise."""

from __future__ import annotations

from tests.queues.conftest import as_patient


def scan(client, patient: dict, room: str, **body):
    return client.post(
        f"/api/v1/queues/rooms/{room}/arrivals", json=body, headers=as_patient(patient["journey"])
    )


ECG_ROOMS = ("A2-08", "A2-09", "B5-02")


def test_scanning_the_right_rooms_code_joins_its_line_once(client, waiting_patient):
    patient = waiting_patient("ECG", arrive=False)
    room = patient["room"]  # whichever ECG room the plan chose
    here = scan(client, patient, room)
    assert here.status_code == 200, here.json
    assert here.json == [
        {
            "task_id": patient["task"]["id"],
            "ticket": "001",
            "status": "waiting",
            "room": room,
            "desk": None,
            "people_ahead": 0,
            "wait_minutes": 0,
            "starts_at": None,
            "grace_until": None,
        }
    ]
    assert scan(client, patient, room).json == here.json  # twice is once


def test_the_wrong_room_tells_the_patient_where_to_go_and_changes_nothing(client, nurse, waiting_patient):
    patient = waiting_patient("ECG", arrive=False)
    planned = patient["room"]
    other_ecg = next(room for room in ECG_ROOMS if room != planned)
    for room in (other_ecg, "B5-01"):  # another ECG room, a room without ECG
        wrong = scan(client, patient, room)
        assert wrong.status_code == 409
        assert wrong.json["message"].startswith(
            f"This is room {room}. Please go to room {planned} (building "
        )
    assert client.get(f"/api/v1/queues/rooms/{planned}", headers=nurse).json["entries"] == []
    assert scan(client, patient, "Z9-99").status_code == 404


def test_scanning_before_any_step_is_ready_or_with_a_bad_link_is_refused(client, check_in):
    journey = check_in("ECG")  # not paid yet
    early = client.post("/api/v1/queues/rooms/A2-08/arrivals", json={}, headers=as_patient(journey))
    assert early.status_code == 409 and "ready" in early.json["message"]
    forged = client.post(
        "/api/v1/queues/rooms/A2-08/arrivals", json={}, headers={"Authorization": "Bearer pt_1_x"}
    )
    assert forged.status_code == 404


def test_signage_is_public_and_shows_tickets_only(client, nurse, waiting_patient):
    waiting_patient("PFT", name="Chen Jing")
    waiting_patient("PFT")
    client.post("/api/v1/queues/rooms/B5-01/call-next", json={"desk": 1}, headers=nurse)
    board = client.get("/api/v1/signage/demo/pulmonary")
    assert board.status_code == 200
    assert board.json["calling"] == [{"ticket": "001", "room": "B5-01", "desk": 1}]
    assert board.json["next"] == [{"ticket": "002", "room": "B5-01"}]
    assert "Chen" not in board.text and "PFT" not in board.text and "Pulmonary" not in board.text
    assert client.get("/api/v1/signage/demo/nothing-here").status_code == 404


def test_every_queue_operation_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for op in ("call-next", "pause", "resume", "undo", "arrivals"):
        assert f"/api/v1/queues/rooms/{{room_code}}/{op}" in paths
    for op in (
        "recall",
        "start",
        "complete",
        "skip",
        "no-show",
        "rejoin",
        "move",
        "priority",
        "hold",
        "release",
    ):
        post = paths[f"/api/v1/queues/entries/{{entry_id}}/{op}"]["post"]
        assert any(p["name"] == "If-Match" for p in post["parameters"]), op
        assert "409" in post["responses"] or "default" in post["responses"], op
    assert (
        "/api/v1/signage/{site}/{group}" in paths
        and "security" not in paths["/api/v1/signage/{site}/{group}"]["get"]
    )
